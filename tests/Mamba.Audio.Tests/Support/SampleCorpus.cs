using Mamba.Audio.Corpora;

namespace Mamba.Audio.Tests.Support;

/// <summary>The repository's samples/wav, prepared into a corpus once per test run (real speech, held-out voices).</summary>
public static class SampleCorpus
{
    private static readonly Lazy<string> Prepared = new(() =>
    {
        var output = Path.Combine(Path.GetTempPath(), $"mamba-audio-sample-corpus-{Environment.ProcessId}");
        CorpusBuilder.Build(new CorpusBuildOptions(new[] { DigitsFolder }, output,
            Split: new CorpusSplitRule(Seed: 1, ValidationFraction: 0.2, GroupBy: "^([^_]+)_")));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(output, true); } catch (IOException) { } };
        return output;
    });

    /// <summary>A corpus of samples/wav/digits; shared and read-only, so tests must not write into it.</summary>
    public static string Digits => Prepared.Value;

    public static string DigitsFolder => Path.Combine(RepositoryRoot, "samples", "wav", "digits");

    public static string RepositoryRoot => TestRepository.Root;
}
