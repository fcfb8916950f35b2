namespace Mamba.Audio.Corpora;

/// <summary>One included file in <c>index.json</c>.</summary>
/// <param name="Root">The input root it was found under (a full path; a file given directly is its own root's child).</param>
/// <param name="Path">Its path relative to <paramref name="Root"/>, '/' separators: the segment's source.</param>
/// <param name="Group">The group the split rule gave it (files of one group share a split).</param>
/// <param name="Split">Train or validation.</param>
/// <param name="Offset">Byte offset in audio.bin.</param>
/// <param name="Length">Bytes (samples) in audio.bin.</param>
/// <param name="SourceBytes">The source file's size when it was encoded.</param>
/// <param name="SourceLastWriteUtcTicks">The source file's last-write time (UTC ticks) when it was encoded.</param>
/// <param name="Sha256">SHA-256 of the source file's bytes, lower-case hex.</param>
/// <param name="Warnings">Problems the lenient reader tolerated (a data size that lied, for example); empty when none.</param>
public sealed record CorpusIndexEntry(
    string Root, string Path, string Group, CorpusSplit Split, long Offset, long Length,
    long SourceBytes, long SourceLastWriteUtcTicks, string Sha256, IReadOnlyList<string> Warnings)
{
    /// <summary>The source file's full path.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string FullPath => System.IO.Path.Combine(Root, Path);
}
