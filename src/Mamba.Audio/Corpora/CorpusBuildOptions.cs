namespace Mamba.Audio.Corpora;

/// <summary>What <see cref="CorpusBuilder.Build"/> makes.</summary>
/// <param name="Inputs">Folders (searched recursively) and files; each folder is the root its files' relative paths start from, a file's root is its folder.</param>
/// <param name="Output">The corpus directory (created if missing; an existing corpus there is updated incrementally).</param>
/// <param name="SampleRate">Corpus rate; every file is resampled to it (default 16 kHz).</param>
/// <param name="Split">Seed, validation fraction and group rule (<see cref="CorpusSplitRule"/>).</param>
/// <param name="Strict">false: broken files are skipped with a reason and data sizes that lie are tolerated with a warning. true: either is a <see cref="CorpusException"/> and the corpus is left as it was.</param>
public sealed record CorpusBuildOptions(
    IReadOnlyList<string> Inputs, string Output, int SampleRate = AudioInput.DefaultSampleRate,
    CorpusSplitRule? Split = null, bool Strict = false)
{
    /// <summary>The split rule in force (the default rule when none was given).</summary>
    public CorpusSplitRule SplitRule => Split ?? new CorpusSplitRule();
}
