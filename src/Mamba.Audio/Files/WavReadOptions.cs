namespace Mamba.Audio.Files;

/// <summary>How forgiving <see cref="WavSource"/> is with damaged files.</summary>
/// <param name="Strict">
/// false (the default): a data chunk that declares more bytes than the file holds, or ends in a
/// partial frame, is read up to the last whole frame in the file and the problem is reported in
/// <see cref="WavSource.Warnings"/>. That is what a recorder killed mid-way leaves, and every byte
/// it did write is still good audio. true: both are an <see cref="AudioFileException"/>, for
/// corpora that must be complete.
/// </param>
public sealed record WavReadOptions(bool Strict = false)
{
    /// <summary>The default: lenient, warnings instead of errors for truncated data.</summary>
    public static WavReadOptions Default { get; } = new();
}
