namespace Mamba.Core.Checkpoints;

/// <summary>
/// A checkpoint (safetensors weights or config.json) that cannot be read or written: truncated,
/// corrupted, or not matching the model it claims to be. The message names the file and what is
/// wrong; callers show it as it is.
/// </summary>
public sealed class CheckpointException : Exception
{
    /// <summary>Creates the exception; <paramref name="message"/> starts with the file it is about.</summary>
    public CheckpointException(string message) : base(message) { }

    /// <summary>Creates the exception around the error (JSON, I/O) that revealed the problem.</summary>
    public CheckpointException(string message, Exception inner) : base(message, inner) { }
}
