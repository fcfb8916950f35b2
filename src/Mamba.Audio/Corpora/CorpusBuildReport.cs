namespace Mamba.Audio.Corpora;

/// <summary>What a <see cref="CorpusBuilder.Build"/> did.</summary>
/// <param name="Manifest">The manifest written.</param>
/// <param name="ManifestPath">Where it was written.</param>
/// <param name="Encoded">Files read and encoded in this run (relative paths).</param>
/// <param name="Reused">Files whose bytes were copied unchanged from the previous audio.bin.</param>
/// <param name="Dropped">Files of the previous corpus that are no longer found under the inputs.</param>
/// <param name="PreviousCorpusProblem">Why an existing corpus in the output could not be reused (everything was then encoded afresh), or null.</param>
/// <param name="Elapsed">Wall time of the build.</param>
public sealed record CorpusBuildReport(
    CorpusManifest Manifest, string ManifestPath, IReadOnlyList<string> Encoded, IReadOnlyList<string> Reused,
    IReadOnlyList<string> Dropped, string? PreviousCorpusProblem, TimeSpan Elapsed);
