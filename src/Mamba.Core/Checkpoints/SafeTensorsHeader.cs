namespace Mamba.Core.Checkpoints;

/// <summary>
/// The parsed, validated header of a safetensors file: the tensors (in data order), the
/// "__metadata__" strings, and where the data section lies.
/// </summary>
/// <param name="Path">The file the header was read from (used in messages).</param>
/// <param name="Entries">Tensors sorted by their offset in the data section.</param>
/// <param name="Metadata">The "__metadata__" map; empty when the file has none.</param>
/// <param name="DataStart">Byte offset of the data section in the file: 8 + header length.</param>
/// <param name="FileLength">Length of the file in bytes.</param>
public sealed record SafeTensorsHeader(
    string Path,
    IReadOnlyList<SafeTensorEntry> Entries,
    IReadOnlyDictionary<string, string> Metadata,
    long DataStart,
    long FileLength)
{
    /// <summary>Bytes in the data section: every tensor's bytes, back to back.</summary>
    public long DataLength => FileLength - DataStart;
}
