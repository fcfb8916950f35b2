namespace Mamba.Audio.Corpora;

/// <summary><c>index.json</c>: every included file, in audio.bin order (offsets ascending, no gaps).</summary>
public sealed record CorpusIndex(int FormatVersion, int SampleRate, IReadOnlyList<CorpusIndexEntry> Files);
