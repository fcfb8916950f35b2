using Mamba.Audio.Files;
using Mamba.Audio.Tests.Support;
using NAudio.Wave;

namespace Mamba.Audio.Tests.Files;

public class Pcm16WavWriterTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder folder = new();

    [Fact]
    public void FileCopiedWhileTheWriterIsOpen_PlaysEveryBlockWrittenSoFar()
    {
        int seed = TestSeed.Fresh();
        string path = folder.File("render.wav");
        var written = new List<float>();
        var writer = new Pcm16WavWriter(path, 16000);     // never disposed before the copies: a killed process
        try
        {
            for (int block = 0; block < 5; block++)
            {
                var samples = SampleCodec.Random(1000 + 17 * block, seed + block);
                writer.Write(samples);
                written.AddRange(samples);

                // What a process killed now leaves on disk.
                string copy = folder.File($"killed-after-block-{block}.wav");
                File.Copy(path, copy);
                using var reader = new WaveFileReader(copy);
                Assert.Equal(new WaveFormat(16000, 16, 1), reader.WaveFormat);
                Assert.Equal(written.Count, reader.SampleCount);
                var pcm = new byte[reader.Length];
                reader.ReadExactly(pcm);
                double maxError = 0;
                for (int i = 0; i < written.Count; i++)
                {
                    short s = BitConverter.ToInt16(pcm, 2 * i);
                    Assert.Equal(Pcm16WavWriter.ToPcm16(written[i]), s);
                    if (Math.Abs(written[i]) < 32767 / 32768.0) maxError = Math.Max(maxError, Math.Abs(s / 32768.0 - written[i]));
                }
                output.WriteLine($"seed {seed}, after block {block}: {written.Count} samples read back, max error {maxError:E2} (half step {0.5 / 32768:E2})");
                // Half a step (below the clipping point), plus the float rounding of x * 32768.
                Assert.True(maxError <= 0.5 / 32768 + 1e-7, $"seed {seed}: {maxError}");
            }
            Assert.Equal(written.Count, writer.SamplesWritten);
        }
        finally
        {
            writer.Dispose();
        }
    }

    [Theory]
    [InlineData(0f, 0)]
    [InlineData(1f, 32767)]            // +1 is one step past the largest 16-bit value: clipped
    [InlineData(-1f, -32768)]
    [InlineData(1.5f, 32767)]          // clipped
    [InlineData(-3f, -32768)]
    [InlineData(0.25f, 8192)]
    [InlineData(1.5f / 32768, 2)]      // 1.5 rounds to even
    [InlineData(-0.4f / 32768, 0)]
    [InlineData(float.NaN, 0)]
    [InlineData(float.PositiveInfinity, 32767)]
    public void Samples_AreClippedAndRoundedToNearest(float sample, short expected) =>
        Assert.Equal(expected, Pcm16WavWriter.ToPcm16(sample));

    [Fact]
    public void EverySixteenBitValue_ReadAndWrittenAgain_IsItself()
    {
        // How a 16-bit file is read (x / 32768) and written are inverses: a file played through a chain is bit-exact.
        for (int v = short.MinValue; v <= short.MaxValue; v++)
            Assert.Equal((short)v, Pcm16WavWriter.ToPcm16(v / 32768f));
    }

    [Fact]
    public void WrittenFile_ReadsBackThroughWavSource()
    {
        string path = folder.File("generated.wav");
        using (var writer = new Pcm16WavWriter(path, 8000))
        {
            writer.Write([0.5f, -0.5f]);
            writer.Write([]);
            writer.Write([1f]);
        }
        using var source = WavSource.Open(path, new WavReadOptions(Strict: true));
        var samples = new float[8];
        Assert.Equal(3, source.Read(samples));
        Assert.Equal(8000, source.WaveFormat.SampleRate);
        Assert.Equal(16384 / 32768f, samples[0]);
        Assert.Equal(32767 / 32768f, samples[2]);
    }

    public void Dispose() => folder.Dispose();
}
