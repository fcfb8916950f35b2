namespace Mamba.Audio.Corpora;

/// <summary>A file the build skipped, or read with a warning, and why.</summary>
/// <param name="Source">The file's path as found under the inputs.</param>
/// <param name="Reason">What was wrong with it.</param>
public sealed record CorpusFileNote(string Source, string Reason);
