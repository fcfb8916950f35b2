namespace Mamba.Audio.Corpora;

/// <summary>Reported after each file that <see cref="CorpusBuilder"/> handles.</summary>
/// <param name="FilesDone">Files handled so far (included or skipped).</param>
/// <param name="FilesTotal">Files to handle.</param>
/// <param name="SamplesDone">Samples in the corpus so far, at the corpus rate.</param>
/// <param name="SampleRate">The corpus rate, to turn samples into hours.</param>
/// <param name="Current">The file just handled (its path relative to its root).</param>
/// <param name="Skipped">Why it was skipped, or null when it was included.</param>
/// <param name="Warnings">Problems tolerated while reading it (empty when none).</param>
public sealed record CorpusBuildProgress(
    int FilesDone, int FilesTotal, long SamplesDone, int SampleRate, string Current,
    CorpusFileNote? Skipped, IReadOnlyList<string> Warnings)
{
    public double HoursDone => SamplesDone / (double)SampleRate / 3600.0;
}
