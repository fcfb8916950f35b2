using System.Buffers.Binary;
using System.Text;

namespace Mamba.Audio.Tests.Support;

/// <summary>
/// A WAV file written byte by byte with every header field chosen by the test, so broken files
/// can be made on purpose. Defaults give a valid 16 kHz mono 16-bit PCM file.
/// </summary>
public sealed record WavBuilder
{
    public string RiffId { get; init; } = "RIFF";
    public string WaveId { get; init; } = "WAVE";
    public ushort FormatTag { get; init; } = 1;
    public ushort Channels { get; init; } = 1;
    public uint SampleRate { get; init; } = 16000;
    public ushort BitsPerSample { get; init; } = 16;
    /// <summary>Null: channels * bits / 8.</summary>
    public ushort? BlockAlign { get; init; }
    /// <summary>Non-null: write WAVE_FORMAT_EXTENSIBLE (tag 0xFFFE) with this sub-format tag.</summary>
    public ushort? ExtensibleSubFormat { get; init; }
    public bool WriteFmt { get; init; } = true;
    public bool WriteData { get; init; } = true;
    /// <summary>An odd-sized LIST chunk (with its pad byte) before the data, as many editors write.</summary>
    public bool ListChunkBeforeData { get; init; }
    public byte[] Data { get; init; } = [];
    /// <summary>Null: the real length of <see cref="Data"/>.</summary>
    public uint? DeclaredDataSize { get; init; }
    /// <summary>Null: the real size; else what the RIFF header claims (streaming writers leave 0 or 4).</summary>
    public uint? DeclaredRiffSize { get; init; }
    /// <summary>Write the data chunk before the fmt chunk.</summary>
    public bool DataBeforeFmt { get; init; }
    /// <summary>Non-null: cut the finished file to this many bytes.</summary>
    public int? TruncateTo { get; init; }

    public byte[] Build()
    {
        var body = new MemoryStream();
        var w = new BinaryWriter(body);
        w.Write(Encoding.ASCII.GetBytes(WaveId));
        if (DataBeforeFmt) WriteDataChunk(w);
        if (WriteFmt)
        {
            ushort blockAlign = BlockAlign ?? (ushort)(Channels * BitsPerSample / 8);
            bool extensible = ExtensibleSubFormat is not null;
            w.Write("fmt "u8);
            w.Write(extensible ? 40u : 16u);
            w.Write(extensible ? (ushort)0xFFFE : FormatTag);
            w.Write(Channels);
            w.Write(SampleRate);
            w.Write(SampleRate * blockAlign);
            w.Write(blockAlign);
            w.Write(BitsPerSample);
            if (extensible)
            {
                w.Write((ushort)22);                     // cbSize
                w.Write(BitsPerSample);                  // valid bits
                w.Write(Channels == 2 ? 3u : 0u);        // channel mask
                // KSDATAFORMAT_SUBTYPE_xxx: {0000tttt-0000-0010-8000-00AA00389B71}
                w.Write(new Guid($"{ExtensibleSubFormat:X8}-0000-0010-8000-00aa00389b71").ToByteArray());
            }
        }
        if (ListChunkBeforeData)
        {
            w.Write("LIST"u8);
            w.Write(5u);
            w.Write("INFOx"u8);
            w.Write((byte)0);                            // pad byte, not counted in the size
        }
        if (!DataBeforeFmt) WriteDataChunk(w);
        w.Flush();

        var file = new MemoryStream();
        file.Write(Encoding.ASCII.GetBytes(RiffId));
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(size, DeclaredRiffSize ?? (uint)body.Length);
        file.Write(size);
        body.Position = 0;
        body.CopyTo(file);
        var bytes = file.ToArray();
        return TruncateTo is { } n ? bytes[..n] : bytes;
    }

    private void WriteDataChunk(BinaryWriter w)
    {
        if (!WriteData) return;
        w.Write("data"u8);
        w.Write(DeclaredDataSize ?? (uint)Data.Length);
        w.Write(Data);
        if ((Data.Length & 1) == 1 && DataBeforeFmt) w.Write((byte)0);   // pad byte before the next chunk
    }

    /// <summary>Writes the file into <paramref name="folder"/> under <paramref name="name"/> and returns its path.</summary>
    public string WriteTo(TempFolder folder, string name)
    {
        string path = folder.File(name);
        File.WriteAllBytes(path, Build());
        return path;
    }
}
