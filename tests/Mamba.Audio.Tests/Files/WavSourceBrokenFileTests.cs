using Mamba.Audio.Files;
using Mamba.Audio.Tests.Support;

namespace Mamba.Audio.Tests.Files;

/// <summary>Every kind of broken WAV file, built byte by byte, fails on open with a message naming the file and the problem.</summary>
public class WavSourceBrokenFileTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder folder = new();
    private static readonly byte[] FourFrames = new byte[8];

    public static TheoryData<string, WavBuilder, string> BrokenFiles => new()
    {
        { "not RIFF", new WavBuilder { RiffId = "RIFX", Data = FourFrames }, "not a RIFF/WAVE file" },
        { "RIFF but AVI", new WavBuilder { WaveId = "AVI ", Data = FourFrames }, "not a RIFF/WAVE file" },
        { "too short for a header", new WavBuilder { TruncateTo = 10 }, "not a RIFF/WAVE file" },
        { "zero channels", new WavBuilder { Channels = 0, BlockAlign = 2, Data = FourFrames }, "zero channels" },
        { "zero sample rate", new WavBuilder { SampleRate = 0, Data = FourFrames }, "absurd sample rate 0 Hz" },
        { "sample rate 2 MHz", new WavBuilder { SampleRate = 2_000_000, Data = FourFrames }, "absurd sample rate 2000000 Hz" },
        { "ADPCM", new WavBuilder { FormatTag = 2, BitsPerSample = 4, BlockAlign = 256, Data = FourFrames }, "format tag 0x0002 (Adpcm)" },
        { "mu-law in WAV", new WavBuilder { FormatTag = 7, BitsPerSample = 8, Data = FourFrames }, "format tag 0x0007 (MuLaw)" },
        { "extensible ADPCM", new WavBuilder { ExtensibleSubFormat = 2, Data = FourFrames }, "format tag 0x0002 (Adpcm)" },
        { "12-bit PCM", new WavBuilder { BitsPerSample = 12, BlockAlign = 2, Data = FourFrames }, "unsupported 12-bit Pcm" },
        { "16-bit float", new WavBuilder { FormatTag = 3, BitsPerSample = 16, Data = FourFrames }, "unsupported 16-bit IeeeFloat" },
        { "wrong block align", new WavBuilder { Channels = 2, BlockAlign = 2, Data = FourFrames }, "block align 2 does not match 2 channels x 16 bits" },
        { "no fmt chunk", new WavBuilder { WriteFmt = false, Data = FourFrames }, "no fmt chunk: the data chunk at offset 12" },
        { "no data chunk", new WavBuilder { WriteData = false }, "no data chunk" },
        { "only the RIFF header", new WavBuilder { WriteFmt = false, WriteData = false }, "no fmt chunk" },
        { "cut inside the data chunk header", new WavBuilder { Data = FourFrames, TruncateTo = 12 + 24 + 5 }, "truncated chunk header" },
    };

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void Open_ThrowsAudioFileException_NamingFileAndProblem(string name, WavBuilder wav, string expected)
    {
        string path = wav.WriteTo(folder, name.Replace(' ', '-') + ".wav");
        var e = Assert.Throws<AudioFileException>(() => WavSource.Open(path, new WavReadOptions(Strict: true)));
        output.WriteLine($"{name}: {e.Message}");
        Assert.Equal(path, e.Path);
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Problem);
    }

    [Fact]
    public void Open_OfAnEmptyFile_SaysItIsEmpty()
    {
        string path = folder.File("empty.wav");
        File.WriteAllBytes(path, []);
        var e = Assert.Throws<AudioFileException>(() => WavSource.Open(path));
        Assert.Contains("empty file", e.Problem);
    }

    [Fact]
    public void Open_OfAMissingFile_ThrowsAudioFileException()
    {
        var e = Assert.Throws<AudioFileException>(() => WavSource.Open(folder.File("missing.wav")));
        Assert.Contains("cannot open", e.Problem);
    }

    [Fact]
    public void DataLongerThanFile_IsAnError_InStrictMode()
    {
        string path = Oversized().WriteTo(folder, "oversized.wav");
        var e = Assert.Throws<AudioFileException>(() => WavSource.Open(path, new WavReadOptions(Strict: true)));
        output.WriteLine(e.Message);
        Assert.Contains("data chunk declares 1000 bytes but the file holds only 8", e.Problem);
    }

    [Fact]
    public void DataLongerThanFile_IsAWarning_AndTheReadablePartIsKept_InLenientMode()
    {
        string path = Oversized().WriteTo(folder, "oversized.wav");
        using var source = WavSource.Open(path);
        output.WriteLine(string.Join("\n", source.Warnings));
        Assert.Single(source.Warnings);
        Assert.Contains("declares 1000 bytes", source.Warnings[0]);
        var samples = new float[100];
        Assert.Equal(4, source.Read(samples));
        Assert.Equal([0f, 0.5f, -0.5f, -1f], samples[..4]);
        Assert.Equal(0, source.Read(samples));
    }

    [Fact]
    public void PartialLastFrame_IsAnError_InStrictMode_AndDropped_InLenientMode()
    {
        // Stereo 16-bit: 4-byte frames; 10 bytes is two frames and half of a third.
        var wav = new WavBuilder { Channels = 2, Data = new byte[10] };
        string path = wav.WriteTo(folder, "partial.wav");
        var e = Assert.Throws<AudioFileException>(() => WavSource.Open(path, new WavReadOptions(Strict: true)));
        Assert.Contains("truncated data chunk: 10 bytes is not a whole number of 4-byte frames", e.Problem);

        using var source = WavSource.Open(path);
        Assert.Contains("Dropping the last 2 bytes", Assert.Single(source.Warnings));
        Assert.Equal(2, source.Read(new float[10]));
    }

    /// <summary>Four mono 16-bit samples, but a header that claims 1000 bytes (a recorder killed before it fixed the size).</summary>
    private static WavBuilder Oversized() => new()
    {
        Data = [0x00, 0x00, 0x00, 0x40, 0x00, 0xC0, 0x00, 0x80],   // 0, 0.5, -0.5, -1
        DeclaredDataSize = 1000,
    };

    public void Dispose() => folder.Dispose();
}
