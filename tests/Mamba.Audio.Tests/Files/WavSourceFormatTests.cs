using Mamba.Audio.Files;
using Mamba.Audio.Tests.Support;
using NAudio.Wave;

namespace Mamba.Audio.Tests.Files;

/// <summary>Every supported sample format reads back as the mono mix of what was written.</summary>
public class WavSourceFormatTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder folder = new();

    public static TheoryData<WavSampleFormat, int, int, bool> Formats()
    {
        var data = new TheoryData<WavSampleFormat, int, int, bool>();
        foreach (var (format, bits) in new[] { (WavSampleFormat.Pcm, 8), (WavSampleFormat.Pcm, 16), (WavSampleFormat.Pcm, 24), (WavSampleFormat.Pcm, 32), (WavSampleFormat.IeeeFloat, 32), (WavSampleFormat.IeeeFloat, 64) })
            foreach (int channels in new[] { 1, 2, 6 })
                foreach (bool extensible in new[] { false, true })
                    data.Add(format, bits, channels, extensible);
        return data;
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Read_GivesTheMonoMix_OfEveryFormat(WavSampleFormat format, int bits, int channels, bool extensible)
    {
        int seed = TestSeed.Fresh();
        const int frames = 5000;
        var written = SampleCodec.Random(frames * channels, seed);
        var (bytes, decoded) = SampleCodec.Encode(written, format, bits);
        var wav = new WavBuilder
        {
            FormatTag = (ushort)format, BitsPerSample = (ushort)bits, Channels = (ushort)channels, SampleRate = 22050,
            ExtensibleSubFormat = extensible ? (ushort)format : null, Data = bytes,
        };
        string path = wav.WriteTo(folder, "format.wav");

        using var source = WavSource.Open(path, new WavReadOptions(Strict: true));
        Assert.Equal(22050, source.WaveFormat.SampleRate);
        Assert.Equal(1, source.WaveFormat.Channels);
        Assert.Empty(source.Warnings);
        var read = ReadInOddBlocks(source);
        Assert.Equal(frames, read.Length);

        // Against the exact mix of the decoded values: only float rounding of the average remains.
        // Against what was written: also the quantisation of the format, half a step at most.
        var exact = SampleCodec.MixToMono(decoded, channels);
        var original = SampleCodec.MixToMono(written, channels);
        var (maxMix, meanMix) = Errors(read, exact);
        var (maxQ, meanQ) = Errors(read, original);
        double step = format == WavSampleFormat.Pcm ? Math.Pow(2, 1 - bits) : 0;
        output.WriteLine($"seed {seed}, {bits}-bit {format}, {channels} ch{(extensible ? ", extensible" : "")}: " +
                         $"vs mix of decoded max {maxMix:E2} mean {meanMix:E2}; vs written max {maxQ:E2} mean {meanQ:E2} (half step {step / 2:E2})");
        Assert.True(maxMix <= 1e-6, $"seed {seed}: {maxMix}");
        Assert.True(maxQ <= step / 2 + 1e-6, $"seed {seed}: {maxQ}");
    }

    [Fact]
    public void Read_GivesWhatNAudioWrote_In16BitStereoAndFloat()
    {
        int seed = TestSeed.Fresh();
        var samples = SampleCodec.Random(8000, seed);
        foreach (var format in new[] { new WaveFormat(44100, 16, 2), WaveFormat.CreateIeeeFloatWaveFormat(48000, 2) })
        {
            string path = folder.File($"naudio-{format.Encoding}.wav");
            using (var writer = new WaveFileWriter(path, format)) writer.WriteSamples(samples, 0, samples.Length);
            using var source = WavSource.Open(path, new WavReadOptions(Strict: true));
            var read = ReadInOddBlocks(source);
            var (max, mean) = Errors(read, SampleCodec.MixToMono(samples, 2));
            output.WriteLine($"seed {seed}, NAudio {format}: max {max:E2} mean {mean:E2}");
            Assert.Equal(format.SampleRate, source.WaveFormat.SampleRate);
            Assert.Equal(4000, read.Length);
            // NAudio writes (short)(x * 32767), truncating, and the reader divides by 32768: up to
            // one step of truncation plus a scale error of |x| / 32768, so two steps at most.
            Assert.True(max <= (format.Encoding == WaveFormatEncoding.Pcm ? 2.0 / 32768 : 1e-6), $"seed {seed}: {max}");
        }
    }

    [Fact]
    public void Read_SkipsChunksBeforeTheData_IncludingOddSizedOnesWithPadding()
    {
        var wav = new WavBuilder { ListChunkBeforeData = true, Data = [0x00, 0x40, 0x00, 0xC0] };
        using var source = WavSource.Open(wav.WriteTo(folder, "list.wav"), new WavReadOptions(Strict: true));
        var samples = new float[4];
        Assert.Equal(2, source.Read(samples));
        Assert.Equal([0.5f, -0.5f], samples[..2]);
    }

    [Fact]
    public void Read_AllocatesNothing_AfterTheFirstBlock()
    {
        // A long stereo file is read in fixed blocks: memory is the block, not the file.
        var (bytes, _) = SampleCodec.Encode(SampleCodec.Random(48000 * 2 * 20, TestSeed.Fresh()), WavSampleFormat.Pcm, 16);
        string path = new WavBuilder { Channels = 2, SampleRate = 48000, Data = bytes }.WriteTo(folder, "long.wav");
        using var source = WavSource.Open(path);
        var block = new float[4096];
        source.Read(block);
        long before = GC.GetAllocatedBytesForCurrentThread();
        long total = 4096;
        int n;
        while ((n = source.Read(block)) > 0) total += n;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"read {total} samples, allocated {allocated} bytes after the first block");
        Assert.Equal(48000 * 20, total);
        Assert.True(allocated < 1024, $"{allocated} bytes allocated while streaming");
    }

    private static float[] ReadInOddBlocks(WavSource source)
    {
        var all = new List<float>();
        var buffer = new float[1237];
        int[] sizes = [1, 7, 1237, 64, 999];
        for (int i = 0; ; i++)
        {
            int n = source.Read(buffer.AsSpan(0, sizes[i % sizes.Length]));
            if (n == 0) break;
            all.AddRange(buffer.AsSpan(0, n));
        }
        return all.ToArray();
    }

    private static (double Max, double Mean) Errors(float[] actual, double[] expected)
    {
        double max = 0, sum = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double e = Math.Abs(actual[i] - expected[i]);
            max = Math.Max(max, e);
            sum += e;
        }
        return (max, sum / actual.Length);
    }

    public void Dispose() => folder.Dispose();
}
