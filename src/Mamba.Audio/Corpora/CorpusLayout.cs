using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mamba.Audio.Corpora;

/// <summary>
/// The on-disk layout of a corpus directory: <c>audio.bin</c> (mu-law bytes of every file,
/// concatenated), <c>index.json</c> (<see cref="CorpusIndex"/>) and <c>manifest.json</c>
/// (<see cref="CorpusManifest"/>), and the JSON and hashing rules shared by the reader and the builder.
/// </summary>
public static class CorpusLayout
{
    /// <summary>Version of the layout written by this code; <see cref="AudioCorpus.Open"/> refuses others.</summary>
    public const int FormatVersion = 1;

    public const string AudioFile = "audio.bin";
    public const string IndexFile = "index.json";
    public const string ManifestFile = "manifest.json";

    /// <summary>The encoding named in the manifest.</summary>
    public const string Encoding = "mu-law 8-bit, mu = 255, one byte per sample";

    /// <summary>camelCase names, splits as "train"/"validation", indented.</summary>
    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,   // '+' in voice names stays readable; never embedded in HTML
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>
    /// The content hash: SHA-256 over audio.bin's bytes, then for each file in index order its
    /// UTF-8 path, a zero byte, offset, length (little-endian int64) and split (one byte). Roots,
    /// times and source hashes are left out, so the same audio from the same relative paths hashes
    /// the same wherever and whenever it was built.
    /// </summary>
    public static string ContentHash(IncrementalHash audioHash, IReadOnlyList<CorpusIndexEntry> files)
    {
        Span<byte> numbers = stackalloc byte[17];
        foreach (var f in files)
        {
            audioHash.AppendData(System.Text.Encoding.UTF8.GetBytes(f.Path));
            audioHash.AppendData([0]);
            BinaryPrimitives.WriteInt64LittleEndian(numbers, f.Offset);
            BinaryPrimitives.WriteInt64LittleEndian(numbers[8..], f.Length);
            numbers[16] = (byte)f.Split;
            audioHash.AppendData(numbers);
        }
        return Convert.ToHexStringLower(audioHash.GetHashAndReset());
    }

    /// <summary>Entropy of a class histogram in bits per sample (0 for an empty histogram).</summary>
    public static double EntropyBits(ReadOnlySpan<long> histogram)
    {
        long total = 0;
        foreach (long c in histogram) total += c;
        if (total == 0) return 0;
        double h = 0;
        foreach (long c in histogram)
        {
            if (c == 0) continue;
            double p = (double)c / total;
            h -= p * Math.Log2(p);
        }
        return h;
    }

    internal static T ReadJson<T>(string path) where T : class
    {
        string name = Path.GetFileName(path);
        if (!File.Exists(path)) throw new CorpusException(path, $"missing: a corpus needs {name}.");
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<T>(stream, Json) ?? throw new CorpusException(path, $"{name} holds null.");
        }
        catch (JsonException e)
        {
            throw new CorpusException(path, $"malformed {name}: {e.Message}", e);
        }
    }

    internal static void WriteJson<T>(string path, T value)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        JsonSerializer.Serialize(stream, value, Json);
        stream.Flush(flushToDisk: true);
    }
}
