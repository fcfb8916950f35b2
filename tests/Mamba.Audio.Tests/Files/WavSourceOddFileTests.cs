using System.Buffers.Binary;
using Mamba.Audio.Files;
using Mamba.Audio.Tests.Support;

namespace Mamba.Audio.Tests.Files;

/// <summary>
/// Files that are odd but sound (sox reads them) read in full, and float samples that are not audio
/// (NaN, infinity, 1e10) are counted, made safe before the resampler, and refused in strict mode.
/// </summary>
public class WavSourceOddFileTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder folder = new();

    [Theory]
    [InlineData(0u)]
    [InlineData(4u)]
    public void RiffSizeThatLies_IsIgnored_AndEveryFrameIsRead(uint riffSize)
    {
        // Before: "No fmt chunk found" (NAudio trusted the RIFF size).
        var data = Pcm16(0, 16384, -16384, -32768);
        string path = new WavBuilder { DeclaredRiffSize = riffSize, Data = data }.WriteTo(folder, $"riff-{riffSize}.wav");
        Assert.Equal([0f, 0.5f, -0.5f, -1f], ReadAll(path, strict: true));
    }

    [Fact]
    public void DataChunkBeforeTheFmtChunk_IsRead()
    {
        string path = new WavBuilder { DataBeforeFmt = true, Data = Pcm16(16384, -16384, 0) }.WriteTo(folder, "data-first.wav");
        Assert.Equal([0.5f, -0.5f, 0f], ReadAll(path, strict: true));
    }

    [Fact]
    public void SixtyFiveThousandChannelsOf8Bits_IsRead_AsTheirMean()
    {
        // Before: "block align is -1" (NAudio keeps the block align in a signed 16-bit field).
        const int channels = 65535, frames = 3;
        var data = new byte[channels * frames];
        for (int f = 0; f < frames; f++)
            for (int c = 0; c < channels; c++) data[f * channels + c] = (byte)(c % 2 == 0 ? 128 + 64 * (f - 1) : 128);
        string path = new WavBuilder { Channels = channels, BitsPerSample = 8, SampleRate = 8000, Data = data }.WriteTo(folder, "wide.wav");
        var mono = ReadAll(path, strict: true);
        Assert.Equal(frames, mono.Length);
        for (int f = 0; f < frames; f++)
            Assert.Equal(32768f / 65535 * (f - 1) * 0.5f, mono[f], 1e-6f);
    }

    [Fact]
    public void NonFiniteAndHugeFloatSamples_AreCountedAndMadeSafe_InLenientMode()
    {
        var samples = new float[16000];
        samples[4000] = float.NaN;
        samples[8000] = float.PositiveInfinity;
        samples[12000] = 1e10f;
        samples[12001] = -3f;
        string path = Float32(samples, "bad-floats.wav");

        using (var source = WavSource.Open(path))
        {
            var mono = new float[samples.Length];
            Assert.Equal(samples.Length, source.Read(mono));
            Assert.Equal(0f, mono[4000]);
            Assert.Equal(0f, mono[8000]);
            Assert.Equal(1f, mono[12000]);
            Assert.Equal(-1f, mono[12001]);
            Assert.Equal(2, source.NonFiniteSamples);
            Assert.Equal(2, source.ClippedSamples);
            var warnings = source.SampleWarnings();
            output.WriteLine(string.Join("\n", warnings));
            Assert.Contains(warnings, w => w.Contains("2 frame(s) with NaN or infinite samples"));
            Assert.Contains(warnings, w => w.Contains("2 frame(s) with float samples beyond full scale"));
        }

        // Through the resampler: every output sample finite and within full scale, and only the
        // neighbourhood of the clipped pair is not silent (a NaN used to spread over the whole filter).
        using var input = AudioInput.OpenMono(path, 8000);
        var resampled = new float[16000];
        int n = 0, got;
        while ((got = input.Read(resampled.AsSpan(n))) > 0) n += got;
        Assert.All(resampled[..n], v => Assert.True(float.IsFinite(v) && Math.Abs(v) <= 1.2f, $"resampled sample {v}"));
        int loud = resampled[..n].Count(v => Math.Abs(v) > 1e-3f);
        Assert.True(loud < 200, $"{loud} resampled samples are not silent");
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(1e10f)]
    public void NonFiniteOrHugeFloatSample_IsAnError_InStrictMode(float bad)
    {
        var samples = new float[100];
        samples[42] = bad;
        string path = Float32(samples, "strict.wav");
        using var source = WavSource.Open(path, new WavReadOptions(Strict: true));
        var e = Assert.Throws<AudioFileException>(() => source.Read(new float[100]));
        output.WriteLine(e.Message);
        Assert.Contains("frame 42", e.Problem);
        Assert.Contains("--strict", e.Problem);
    }

    private string Float32(float[] samples, string name)
    {
        var bytes = new byte[samples.Length * 4];
        for (int i = 0; i < samples.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), samples[i]);
        return new WavBuilder { FormatTag = 3, BitsPerSample = 32, Data = bytes }.WriteTo(folder, name);
    }

    private static byte[] Pcm16(params short[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(i * 2), values[i]);
        return bytes;
    }

    private static float[] ReadAll(string path, bool strict)
    {
        using var source = WavSource.Open(path, new WavReadOptions(strict));
        var all = new List<float>();
        var buffer = new float[4096];
        int n;
        while ((n = source.Read(buffer)) > 0) all.AddRange(buffer[..n]);
        return [.. all];
    }

    public void Dispose() => folder.Dispose();
}
