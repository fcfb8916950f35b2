using System.Buffers.Binary;
using System.Text;
using NAudio.Wave;

namespace Mamba.Audio.Files;

/// <summary>
/// What the header of a WAV file says, checked before any audio is read: the sample format and
/// where the readable audio lies. <see cref="Read"/> walks the RIFF chunks up to the data chunk
/// and throws an <see cref="AudioFileException"/> naming the problem for anything this project
/// cannot read, so a corpus build fails on the first bad file with a message that says why.
/// </summary>
/// <param name="Format">PCM or IEEE float.</param>
/// <param name="Channels">Interleaved channels per frame, at least 1.</param>
/// <param name="SampleRate">Frames per second, 1..1,000,000.</param>
/// <param name="BitsPerSample">8, 16, 24 or 32 for PCM; 32 or 64 for float.</param>
/// <param name="DataOffset">Byte offset of the first audio byte in the file.</param>
/// <param name="DataBytes">Readable audio bytes: whole frames that the file really holds.</param>
/// <param name="Warnings">Problems tolerated in lenient mode (empty when the file is sound).</param>
public sealed record WavHeader(
    WavSampleFormat Format, int Channels, int SampleRate, int BitsPerSample,
    long DataOffset, long DataBytes, IReadOnlyList<string> Warnings)
{
    /// <summary>The highest sample rate accepted; anything above is taken as a corrupt header.</summary>
    public const int MaxSampleRate = 1_000_000;

    private const ushort ExtensibleTag = 0xFFFE;

    /// <summary>Bytes per frame: one sample of every channel.</summary>
    public int BlockAlign => Channels * BitsPerSample / 8;

    /// <summary>Frames in the readable audio.</summary>
    public long FrameCount => DataBytes / BlockAlign;

    /// <summary>Reads and checks the header from the start of <paramref name="stream"/> (which must seek).</summary>
    /// <param name="stream">The file, positioned anywhere; it is left positioned after the data chunk header.</param>
    /// <param name="path">The file's name, for messages.</param>
    /// <param name="options">Strict or lenient handling of truncated data.</param>
    public static WavHeader Read(Stream stream, string path, WavReadOptions options)
    {
        AudioFileException Fail(string problem) => new(path, problem);
        long fileLength = stream.Length;
        if (fileLength == 0) throw Fail("empty file (0 bytes).");

        stream.Position = 0;
        Span<byte> riff = stackalloc byte[12];
        int got = stream.ReadAtLeast(riff, 12, throwOnEndOfStream: false);
        if (got >= 4 && riff[..4].SequenceEqual("RF64"u8))
            throw Fail("RF64 (WAV over 4 GiB) is not supported.");
        if (got < 12 || !riff[..4].SequenceEqual("RIFF"u8) || !riff[8..12].SequenceEqual("WAVE"u8))
            throw Fail($"not a RIFF/WAVE file (it starts with \"{Printable(riff[..Math.Min(got, 4)])}\").");

        Span<byte> chunkHeader = stackalloc byte[8];
        Span<byte> fmt = stackalloc byte[40];
        int fmtLength = -1;
        long position = 12;
        // The RIFF size field is not trusted (streaming writers leave 0 or 4 there): chunks are walked to the end of the file.
        // A data chunk before the fmt chunk is remembered and read once the fmt chunk after it is found.
        (long Size, long Body)? dataFirst = null;
        while (true)
        {
            if (position >= fileLength || (dataFirst is not null && position + 8 > fileLength))
                throw Fail(fmtLength >= 0 ? "no data chunk."
                    : dataFirst is { } d ? $"no fmt chunk: the data chunk at offset {d.Body - 8} has nothing that says how its bytes are samples."
                    : "no fmt chunk and no data chunk.");
            if (position + 8 > fileLength)
                throw Fail($"truncated chunk header: the file ends {fileLength - position} bytes into an 8-byte chunk header at offset {position}.");
            stream.Position = position;
            stream.ReadExactly(chunkHeader);
            var id = chunkHeader[..4];
            long size = BinaryPrimitives.ReadUInt32LittleEndian(chunkHeader[4..]);
            long body = position + 8;

            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16) throw Fail($"fmt chunk is {size} bytes; at least 16 are needed.");
                if (body + size > fileLength) throw Fail($"truncated fmt chunk: it declares {size} bytes, the file holds {fileLength - body}.");
                fmtLength = (int)Math.Min(size, fmt.Length);
                stream.ReadExactly(fmt[..fmtLength]);
                if (dataFirst is { } d) return Build(fmt[..fmtLength], d.Size, d.Body, Math.Min(fileLength, d.Body + d.Size), path, options);
            }
            else if (id.SequenceEqual("data"u8) && dataFirst is null)
            {
                if (fmtLength >= 0) return Build(fmt[..fmtLength], size, body, fileLength, path, options);
                dataFirst = (size, body);
            }
            // Chunks are word aligned: an odd size is followed by a pad byte it does not count.
            position = body + size + (size & 1);
        }
    }

    private static WavHeader Build(ReadOnlySpan<byte> fmt, long declared, long dataOffset, long fileLength, string path, WavReadOptions options)
    {
        AudioFileException Fail(string problem) => new(path, problem);
        ushort tag = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
        int channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt[2..]);
        long sampleRate = BinaryPrimitives.ReadUInt32LittleEndian(fmt[4..]);
        int blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(fmt[12..]);
        int bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt[14..]);

        if (channels == 0) throw Fail("zero channels.");
        if (sampleRate <= 0 || sampleRate > MaxSampleRate)
            throw Fail($"absurd sample rate {sampleRate} Hz (allowed 1..{MaxSampleRate:N0}).");
        if (tag == ExtensibleTag)
        {
            // WAVE_FORMAT_EXTENSIBLE: cbSize 22, then valid bits, channel mask and a sub-format GUID
            // whose first two bytes are the real format tag.
            if (fmt.Length < 40) throw Fail($"WAVE_FORMAT_EXTENSIBLE fmt chunk is {fmt.Length} bytes; 40 are needed.");
            tag = BinaryPrimitives.ReadUInt16LittleEndian(fmt[24..]);
        }
        var format = tag switch
        {
            1 => WavSampleFormat.Pcm,
            3 => WavSampleFormat.IeeeFloat,
            _ => throw Fail($"unsupported encoding: format tag 0x{tag:X4} ({(WaveFormatEncoding)tag}); only PCM and IEEE float are read."),
        };
        bool bitsOk = format == WavSampleFormat.Pcm ? bits is 8 or 16 or 24 or 32 : bits is 32 or 64;
        if (!bitsOk) throw Fail($"unsupported {bits}-bit {format} (PCM: 8, 16, 24, 32; float: 32, 64).");
        if (blockAlign != channels * bits / 8)
            throw Fail($"block align {blockAlign} does not match {channels} channels x {bits} bits.");

        var warnings = new List<string>();
        long available = fileLength - dataOffset;
        long readable = declared;
        if (declared > available)
        {
            string problem = $"data chunk declares {declared} bytes but the file holds only {available} after its header.";
            if (options.Strict) throw Fail(problem);
            warnings.Add(problem + " Reading the part that is there.");
            readable = available;
        }
        long partial = readable % blockAlign;
        if (partial != 0)
        {
            string problem = $"truncated data chunk: {readable} bytes is not a whole number of {blockAlign}-byte frames.";
            if (options.Strict) throw Fail(problem);
            warnings.Add(problem + $" Dropping the last {partial} bytes.");
            readable -= partial;
        }
        return new WavHeader(format, channels, (int)sampleRate, bits, dataOffset, readable, warnings);
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        foreach (byte b in bytes) text.Append(b is >= 32 and < 127 ? (char)b : '?');
        return text.ToString();
    }
}
