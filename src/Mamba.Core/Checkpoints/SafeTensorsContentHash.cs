using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Mamba.Core.Checkpoints;

/// <summary>
/// The SHA-256 this project stores in a safetensors file's metadata under
/// <see cref="SafeTensorsFile.HashMetadataKey"/>. The format checks structure only, so a flipped
/// byte inside tensor data (or inside a tensor name) would load silently; this hash catches it.
/// <para>
/// What is hashed: a canonical encoding of the header's meaning (each tensor's name, dtype,
/// shape and offsets, in ordinal name order; each metadata entry but the hash itself, in ordinal
/// key order; every string length-prefixed so no two headers encode alike), then the data
/// section byte for byte. Hashing the meaning rather than the header bytes means the hash does not
/// depend on JSON key order or padding, and can be written into the header it covers.
/// </para>
/// </summary>
internal sealed class SafeTensorsContentHash : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Starts a hash with the canonical header; feed the data section next with <see cref="AppendData"/>.</summary>
    public SafeTensorsContentHash(IEnumerable<SafeTensorEntry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        AppendTag("safetensors-content-v1");
        foreach (var e in entries.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            AppendTag("tensor");
            AppendString(e.Name);
            AppendString(e.DType.FormatName());
            AppendInt64(e.Shape.Count);
            foreach (var d in e.Shape) AppendInt64(d);
            AppendInt64(e.Begin);
            AppendInt64(e.End);
        }
        foreach (var (key, value) in metadata.Where(kv => kv.Key != SafeTensorsFile.HashMetadataKey)
                                             .OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            AppendTag("metadata");
            AppendString(key);
            AppendString(value);
        }
        AppendTag("data");
    }

    /// <summary>Adds the next bytes of the data section.</summary>
    public void AppendData(ReadOnlySpan<byte> data) => _hash.AppendData(data);

    /// <summary>The digest as 64 lower-case hex digits. Call once, after the whole data section.</summary>
    public string FinishHex() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    public void Dispose() => _hash.Dispose();

    private void AppendTag(string tag) => AppendString(tag);

    private void AppendString(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        AppendInt64(bytes.Length);
        _hash.AppendData(bytes);
    }

    private void AppendInt64(long value)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(buffer, value);
        _hash.AppendData(buffer);
    }
}
