namespace Mamba.Audio.Corpora;

/// <summary>
/// One source file's mu-law bytes inside <c>audio.bin</c>.
/// </summary>
/// <param name="Source">The file's path relative to the input root it came from ('/' separators).</param>
/// <param name="Offset">Byte offset of its first sample in audio.bin.</param>
/// <param name="Length">Its length in bytes, which is samples (one byte per sample).</param>
/// <param name="Split">Train or validation.</param>
public sealed record CorpusSegment(string Source, long Offset, long Length, CorpusSplit Split);
