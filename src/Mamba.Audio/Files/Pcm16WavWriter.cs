using System.Buffers.Binary;

namespace Mamba.Audio.Files;

/// <summary>
/// Writes generated mono audio as a 16-bit PCM WAV file whose header is valid after every block:
/// each <see cref="Write"/> appends the samples, patches the RIFF and data sizes, and flushes, so a
/// process killed mid-way leaves a playable file holding every block written so far (hours-long
/// renders lose at most the block in flight). Flush hands the bytes to the operating system; it
/// does not force them to disk, which is what survives a killed process but not a power cut.
/// </summary>
public sealed class Pcm16WavWriter : IDisposable
{
    private const int HeaderBytes = 44;
    private readonly FileStream stream;
    private byte[] blockBuffer = [];
    private long dataBytes;

    /// <summary>Creates (or replaces) <paramref name="path"/> with an empty, valid WAV file.</summary>
    public Pcm16WavWriter(string path, int sampleRate)
    {
        if (sampleRate <= 0 || sampleRate > WavHeader.MaxSampleRate)
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, $"sample rate must be 1..{WavHeader.MaxSampleRate:N0} Hz.");
        Path = path;
        SampleRate = sampleRate;
        // Read sharing lets a player or a test open the file while it grows.
        stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        stream.Write(Header(sampleRate, 0));
        stream.Flush();
    }

    /// <summary>The file being written.</summary>
    public string Path { get; }

    /// <summary>Samples per second.</summary>
    public int SampleRate { get; }

    /// <summary>Samples written so far, all of them covered by the header.</summary>
    public long SamplesWritten => dataBytes / 2;

    /// <summary>
    /// Appends <paramref name="samples"/>: each scaled by 32768, rounded to nearest (ties to even) and
    /// clipped to the 16-bit range (<see cref="ToPcm16"/>); NaN is written as 0. Then updates the header and flushes.
    /// </summary>
    public void Write(ReadOnlySpan<float> samples)
    {
        long newDataBytes = dataBytes + 2L * samples.Length;
        if (HeaderBytes - 8 + newDataBytes > uint.MaxValue)
            throw new InvalidOperationException($"{Path}: the block would take the file past the 4 GiB RIFF limit.");
        int bytes = 2 * samples.Length;
        if (blockBuffer.Length < bytes) blockBuffer = new byte[bytes];
        for (int i = 0; i < samples.Length; i++)
            BinaryPrimitives.WriteInt16LittleEndian(blockBuffer.AsSpan(2 * i), ToPcm16(samples[i]));

        stream.Position = HeaderBytes + dataBytes;
        stream.Write(blockBuffer, 0, bytes);
        dataBytes = newDataBytes;

        // The data goes first and the sizes after, so the header never claims bytes that are not there.
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)(HeaderBytes - 8 + dataBytes));
        stream.Position = 4;
        stream.Write(size);
        BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)dataBytes);
        stream.Position = 40;
        stream.Write(size);
        stream.Flush();
    }

    /// <summary>Closes the file (already complete after the last <see cref="Write"/>).</summary>
    public void Dispose() => stream.Dispose();

    /// <summary>
    /// One float sample as 16-bit PCM: scaled by 32768, rounded to nearest, clipped to -32768..32767.
    /// The inverse of how a 16-bit file is read (x / 32768), so a file played through a chain comes
    /// out bit for bit (scaling by 32767 moved every other sample by one step).
    /// </summary>
    public static short ToPcm16(float sample) =>
        float.IsNaN(sample) ? (short)0 : (short)Math.Clamp(MathF.Round(sample * 32768f), -32768f, 32767f);

    /// <summary>
    /// 16-bit little-endian PCM bytes (two a sample) back to floats, x / 32768: how a 16-bit file is
    /// read, so <see cref="ToPcm16"/> of the result gives the same bytes again.
    /// </summary>
    public static void FromPcm16(ReadOnlySpan<byte> littleEndian, Span<float> samples)
    {
        int n = littleEndian.Length / 2;
        for (int i = 0; i < n; i++) samples[i] = BinaryPrimitives.ReadInt16LittleEndian(littleEndian[(2 * i)..]) / 32768f;
    }

    /// <summary>The canonical 44-byte header of a mono 16-bit PCM file holding <paramref name="dataBytes"/>.</summary>
    private static byte[] Header(int sampleRate, uint dataBytes)
    {
        var h = new byte[HeaderBytes];
        "RIFF"u8.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(4), HeaderBytes - 8 + dataBytes);
        "WAVEfmt "u8.CopyTo(h.AsSpan(8));
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(16), 16);              // fmt chunk size
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(20), 1);               // PCM
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(22), 1);               // mono
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(24), (uint)sampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(28), (uint)sampleRate * 2); // byte rate
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(32), 2);               // block align
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(34), 16);              // bits
        "data"u8.CopyTo(h.AsSpan(36));
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(40), dataBytes);
        return h;
    }
}
