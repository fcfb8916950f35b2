using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.IO.MemoryMappedFiles;
using System.Text.Json;

namespace Mamba.Core.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format (huggingface/safetensors), the format PyTorch's
/// safetensors package writes:
/// <code>
/// [8 bytes] N, unsigned little-endian: length of the header
/// [N bytes] JSON header, UTF-8, padded with spaces (PyTorch pads to a multiple of 8):
///           { "__metadata__": { string: string },                       (optional)
///             name: { "dtype": "F32", "shape": [a, b], "data_offsets": [begin, end] }, ... }
/// [rest]    data section: each tensor's elements, row-major, little-endian, at
///           [begin, end) relative to the section start; the tensors cover it exactly.
/// </code>
/// Reading checks every structural rule and throws <see cref="CheckpointException"/> naming the
/// file and the fault. Files written here also carry a SHA-256 of their content in
/// "__metadata__" (<see cref="HashMetadataKey"/>), checked on load when present, because a flipped
/// bit in tensor data breaks no structural rule. Files without it (PyTorch's) load unchecked.
/// The data section is read through a memory map of the file (one copy, from the page cache into
/// each tensor's array) and hashed from the map in the same pass. The format is plain bytes here
/// (<see cref="SafeTensor"/>); Mamba.Training converts to and from TorchSharp tensors.
/// Limits: each tensor under 2 GiB (a .NET array); little-endian hosts. A file must not be cut
/// short while it is read (this project replaces checkpoints by rename, never in place).
/// </summary>
public static unsafe class SafeTensorsFile
{
    /// <summary>Metadata key holding the lower-case hex SHA-256 described in <see cref="SafeTensorsContentHash"/>.</summary>
    public const string HashMetadataKey = "mamba_audio.sha256";

    /// <summary>
    /// Metadata key written with the hash, saying the file must carry one. Without it a flipped bit
    /// in the hash's key would make a hashed file look like an unhashed (PyTorch) one and load
    /// unverified; with it, losing either key is detected (a damaged writer key changes the hashed
    /// metadata, a damaged hash key leaves the writer key asking for a hash that is not there).
    /// </summary>
    public const string WriterMetadataKey = "mamba_audio.writer";

    private const string WriterValue = "Mamba.Audio";

    /// <summary>Largest header accepted, as in the reference implementation (100 MB).</summary>
    public const long MaxHeaderLength = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>Reads and validates the header only; no tensor is created.</summary>
    /// <exception cref="CheckpointException">The file is missing, truncated or malformed.</exception>
    public static SafeTensorsHeader ReadHeader(string path)
    {
        using var stream = OpenRead(path);
        return ReadHeader(path, stream);
    }

    /// <summary>
    /// Reads every tensor. <paramref name="checkHeader"/>, when given, runs after the header is
    /// validated and before any tensor data is read, so a caller can refuse a file (by throwing)
    /// without the cost of reading it.
    /// </summary>
    /// <param name="path">The .safetensors file.</param>
    /// <param name="checkHeader">Optional extra check of the header (names, shapes) that throws to refuse.</param>
    /// <param name="verifyHash">Whether to check <see cref="HashMetadataKey"/> when the file has one.</param>
    /// <exception cref="CheckpointException">The file is missing, truncated, malformed or corrupted.</exception>
    public static SafeTensorsContent Read(string path, Action<SafeTensorsHeader>? checkHeader = null, bool verifyHash = true)
    {
        RequireLittleEndian();
        using var stream = OpenRead(path);
        var header = ReadHeader(path, stream);
        checkHeader?.Invoke(header);

        header.Metadata.TryGetValue(HashMetadataKey, out var storedHash);
        if (storedHash is null && verifyHash && header.Metadata.ContainsKey(WriterMetadataKey))
            throw Fail(path, $"metadata '{WriterMetadataKey}' says the file carries a content hash, but '{HashMetadataKey}' is missing: the file is corrupted");
        if (storedHash is not null && !IsSha256Hex(storedHash))
            throw Fail(path, $"metadata '{HashMetadataKey}' is \"{Truncate(storedHash)}\", not a lower-case SHA-256 hex digest: the file is corrupted");
        using var hash = verifyHash && storedHash is not null ? new SafeTensorsContentHash(header.Entries, header.Metadata) : null;

        var tensors = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        // Mapped from the handle the header was read through, so it is the same file even if the
        // path is renamed over meanwhile.
        using var map = header.DataLength == 0 ? null
            : MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        using var view = map?.CreateViewAccessor(header.DataStart, header.DataLength, MemoryMappedFileAccess.Read);
        byte* data = null;
        if (view is not null)
        {
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref data);
            data += view.PointerOffset;
        }
        try
        {
            // Entries are sorted by offset and cover the data section exactly (checked), so reading
            // them in order is one sequential pass over the file, which is also what the hash needs.
            foreach (var entry in header.Entries)
            {
                if (entry.ByteLength > int.MaxValue)
                    throw Fail(path, $"tensor '{entry.Name}' holds {entry.ByteLength} bytes, over the 2 GiB limit of this reader");
                var bytes = new byte[entry.ByteLength];
                if (bytes.Length > 0) new ReadOnlySpan<byte>(data + entry.Begin, bytes.Length).CopyTo(bytes);
                hash?.AppendData(bytes);
                tensors.Add(entry.Name, new SafeTensor(entry.DType, entry.Shape, bytes));
            }
        }
        finally
        {
            if (data is not null) view!.SafeMemoryMappedViewHandle.ReleasePointer();
        }

        if (hash is not null)
        {
            var computed = hash.FinishHex();
            if (!string.Equals(computed, storedHash, StringComparison.Ordinal))   // exact: a flipped case bit is corruption too
                throw Fail(path, $"content hash mismatch (stored {storedHash}, computed {computed}): the file is corrupted");
        }
        return new SafeTensorsContent(header, tensors, HashVerified: hash is not null);
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> in the order given, with <paramref name="metadata"/> and,
    /// when <paramref name="addContentHash"/>, the content hash. The header is padded with spaces so
    /// the data starts 8-byte aligned.
    /// </summary>
    /// <exception cref="ArgumentException">A name is empty, repeated or reserved, or the metadata holds the hash key.</exception>
    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, SafeTensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, bool addContentHash = true)
    {
        RequireLittleEndian();
        var entries = new List<SafeTensorEntry>();
        var data = new List<byte[]>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            if (string.IsNullOrEmpty(name) || name == MetadataKey)
                throw new ArgumentException($"'{name}' cannot name a tensor in a safetensors file.", nameof(tensors));
            if (!names.Add(name))
                throw new ArgumentException($"Tensor '{name}' is given twice.", nameof(tensors));
            entries.Add(new SafeTensorEntry(name, tensor.DType, tensor.Shape, offset, offset + tensor.Data.Length));
            data.Add(tensor.Data);
            offset += tensor.Data.Length;
        }

        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        if (metadata is not null)
        {
            foreach (var (key, value) in metadata)
            {
                if (key is HashMetadataKey or WriterMetadataKey)
                    throw new ArgumentException($"Metadata key '{key}' is written by {nameof(SafeTensorsFile)} itself.", nameof(metadata));
                meta[key] = value;
            }
        }
        if (addContentHash)
        {
            // Hashed before writing so the hash can go into the header, which precedes the data.
            meta[WriterMetadataKey] = WriterValue;
            using var hash = new SafeTensorsContentHash(entries, meta);
            foreach (var bytes in data) hash.AppendData(bytes);
            meta[HashMetadataKey] = hash.FinishHex();
        }

        var header = BuildHeader(entries, meta);
        Span<byte> lengthBytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lengthBytes, (ulong)header.Length);
        stream.Write(lengthBytes);
        stream.Write(header);
        foreach (var bytes in data) stream.Write(bytes);
    }

    /// <summary>
    /// Writes a file atomically: to a temporary file in the same directory, flushed to the disk,
    /// then renamed over <paramref name="path"/>. See <see cref="Write"/>.
    /// </summary>
    public static void WriteFile(string path, IEnumerable<KeyValuePair<string, SafeTensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, bool addContentHash = true)
    {
        using var staged = StagedFile.Write(path, s => Write(s, tensors, metadata, addContentHash));
        staged.Commit();
    }

    private static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Fail(path, $"cannot open: {e.Message}", e);
        }
    }

    private static SafeTensorsHeader ReadHeader(string path, Stream stream)
    {
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw Fail(path, $"the file is {fileLength} bytes, shorter than the 8-byte header length: the file is truncated");

        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderLength)
            throw Fail(path, $"header length {headerLength} is over the {MaxHeaderLength}-byte limit: not a safetensors file, or its first 8 bytes are corrupted");
        if (headerLength < 2)
            throw Fail(path, $"header length {headerLength} is too small for a JSON object: not a safetensors file, or its first 8 bytes are corrupted");
        if (8 + (long)headerLength > fileLength)
            throw Fail(path, $"header length {headerLength} runs past the end of the file ({fileLength} bytes): the file is truncated");

        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        long dataStart = 8 + (long)headerLength;
        var (entries, metadata) = ParseHeader(path, headerBytes);
        CheckLayout(path, entries, fileLength, dataStart);
        return new SafeTensorsHeader(path, entries, metadata, dataStart, fileLength);
    }

    private static (List<SafeTensorEntry> Entries, Dictionary<string, string> Metadata) ParseHeader(string path, byte[] headerBytes)
    {
        if (headerBytes[0] != (byte)'{')
            throw Fail(path, $"header does not start with '{{' (byte 0x{headerBytes[0]:X2}): not a safetensors file, or corrupted");

        // JsonDocument checks UTF-8 only when a string is read out (and then throws
        // InvalidOperationException), so check the whole header first.
        if (!System.Text.Unicode.Utf8.IsValid(headerBytes))
            throw Fail(path, "header is not valid UTF-8: the file is corrupted");

        JsonDocument document;
        try
        {
            // Trailing spaces (PyTorch's padding) are JSON whitespace; anything else after the object is an error.
            document = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            throw Fail(path, $"header is not valid JSON ({e.Message}): the file is corrupted", e);
        }

        using (document)
        {
            var root = document.RootElement;
            var entries = new List<SafeTensorEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw Fail(path, $"header names '{property.Name}' twice: the file is corrupted");
                if (property.Name == MetadataKey)
                {
                    if (property.Value.ValueKind != JsonValueKind.Object)
                        throw Fail(path, $"header \"{MetadataKey}\" is a {property.Value.ValueKind}, not an object of strings");
                    foreach (var item in property.Value.EnumerateObject())
                    {
                        if (item.Value.ValueKind != JsonValueKind.String)
                            throw Fail(path, $"header \"{MetadataKey}\" entry '{item.Name}' is a {item.Value.ValueKind}, not a string");
                        if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                            throw Fail(path, $"header \"{MetadataKey}\" names '{item.Name}' twice: the file is corrupted");
                    }
                    continue;
                }
                entries.Add(ParseEntry(path, property));
            }
            return (entries, metadata);
        }
    }

    private static SafeTensorEntry ParseEntry(string path, JsonProperty property)
    {
        string name = property.Name;
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(path, $"header entry for tensor '{name}' is a {value.ValueKind}, not an object");

        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Fail(path, $"tensor '{name}' has no string \"dtype\" in the header");
        var dtypeName = dtypeElement.GetString()!;
        if (!SafeTensorsDTypes.TryParse(dtypeName, out var dtype))
            throw Fail(path, $"tensor '{name}' has dtype \"{Truncate(dtypeName)}\", which is not supported (supported: {string.Join(", ", Enum.GetNames<SafeTensorsDType>())})");

        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Fail(path, $"tensor '{name}' has no \"shape\" array in the header");
        var shape = new List<long>();
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var d) || d < 0)
                throw Fail(path, $"tensor '{name}' has shape entry {Truncate(dim.GetRawText())}, not a non-negative integer");
            shape.Add(d);
        }

        if (!value.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
            throw Fail(path, $"tensor '{name}' has no \"data_offsets\" [begin, end] in the header");
        var begin = offsetsElement[0];
        var end = offsetsElement[1];
        if (begin.ValueKind != JsonValueKind.Number || !begin.TryGetInt64(out var b) || b < 0
            || end.ValueKind != JsonValueKind.Number || !end.TryGetInt64(out var e) || e < b)
            throw Fail(path, $"tensor '{name}' has data_offsets {Truncate(offsetsElement.GetRawText())}, not integers 0 <= begin <= end");

        long expectedBytes;
        try
        {
            long elements = 1;
            foreach (var d in shape) elements = checked(elements * d);
            expectedBytes = checked(elements * dtype.ByteSize());
        }
        catch (OverflowException)
        {
            throw Fail(path, $"tensor '{name}' has shape {SafeTensorEntry.FormatShape(shape)}, too large to address: the file is corrupted");
        }
        if (e - b != expectedBytes)
            throw Fail(path, $"tensor '{name}' data_offsets [{b}, {e}] hold {e - b} bytes, but dtype {dtype.FormatName()} and shape {SafeTensorEntry.FormatShape(shape)} need {expectedBytes}: the file is corrupted");
        return new SafeTensorEntry(name, dtype, shape, b, e);
    }

    /// <summary>Sorts entries by offset and checks they lie in the file, do not overlap and leave no gap.</summary>
    private static void CheckLayout(string path, List<SafeTensorEntry> entries, long fileLength, long dataStart)
    {
        long dataLength = fileLength - dataStart;
        // Empty tensors first at equal offsets, so [x, x) never "overlaps" a tensor starting at x.
        entries.Sort((x, y) => x.Begin != y.Begin ? x.Begin.CompareTo(y.Begin)
                             : x.End != y.End ? x.End.CompareTo(y.End)
                             : string.CompareOrdinal(x.Name, y.Name));
        long covered = 0;
        SafeTensorEntry? previous = null;
        foreach (var entry in entries)
        {
            if (entry.End > dataLength)
                throw Fail(path, $"tensor '{entry.Name}' data_offsets [{entry.Begin}, {entry.End}] run past the end of the file ({fileLength} bytes, data section {dataLength}): the file is truncated");
            if (entry.Begin < covered)
                throw Fail(path, $"tensors '{previous!.Name}' [{previous.Begin}, {previous.End}] and '{entry.Name}' [{entry.Begin}, {entry.End}] overlap: the file is corrupted");
            if (entry.Begin > covered)
                throw Fail(path, $"data section bytes [{covered}, {entry.Begin}) belong to no tensor (before '{entry.Name}'): the file is corrupted");
            covered = entry.End;
            previous = entry;
        }
        if (covered != dataLength)
            throw Fail(path, $"data section is {dataLength} bytes but the tensors cover {covered}: {dataLength - covered} trailing bytes belong to no tensor, the file is corrupted");
    }

    private static byte[] BuildHeader(List<SafeTensorEntry> entries, Dictionary<string, string> metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata.Count > 0)
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            foreach (var entry in entries)
            {
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", entry.DType.FormatName());
                json.WriteStartArray("shape");
                foreach (var d in entry.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(entry.Begin);
                json.WriteNumberValue(entry.End);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        // Pad with spaces so 8 + header length is a multiple of 8, as PyTorch's writer does:
        // tensors then start aligned for readers that map the file.
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static bool IsSha256Hex(string s) => s.Length == 64 && s.All(c => char.IsAsciiHexDigitLower(c) || char.IsAsciiDigit(c));

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "...";

    private static void RequireLittleEndian()
    {
        // safetensors data is little-endian; the raw copies here would need byte swaps elsewhere.
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors I/O here assumes a little-endian machine.");
    }

    private static CheckpointException Fail(string path, string what) => new($"{path}: {what}.");

    private static CheckpointException Fail(string path, string what, Exception inner) => new($"{path}: {what}.", inner);
}
