namespace Mamba.Audio.Streaming;

/// <summary>
/// A sound card's output as the host's device thread drives it: <see cref="Write"/> hands over one
/// block and blocks until the device has room for it, which is what paces the stream. Opened with
/// the block size and the latency wanted; <see cref="LatencySamples"/> is what the device reports.
/// </summary>
public abstract class AudioOutput : IDisposable
{
    /// <summary>What it is, for reports ("PulseAudio, sink test").</summary>
    public abstract string Description { get; }

    /// <summary>Samples between a block handed to <see cref="Write"/> and its sound, as the device reports it now (its buffer; -1 when it cannot say).</summary>
    public abstract long LatencySamples { get; }

    /// <summary>The buffer the device was asked for, in samples: the latency to expect once it is full.</summary>
    public virtual long TargetLatencySamples => 0;

    /// <summary>Plays one block of mono samples; blocks while the device's buffer is full. No allocation.</summary>
    public abstract void Write(ReadOnlySpan<float> block);

    /// <summary>Waits until everything written has been played.</summary>
    public abstract void Drain();

    public abstract void Dispose();
}

/// <summary>A sound card or server that is not there, or refused: the message says what is missing.</summary>
public sealed class AudioDeviceException(string message, Exception? inner = null) : Exception(message, inner);
