using Mamba.Audio.Resampling;
using Mamba.Audio.Tests.Support;

namespace Mamba.Audio.Tests.Resampling;

public class MonoResamplerTests(ITestOutputHelper output)
{
    private const int Target = 16000;
    private const int Skip = 4000;          // past the filter's start-up

    [Theory]
    [InlineData(44100)]
    [InlineData(48000)]
    [InlineData(22050)]
    [InlineData(8000)]
    public void Tone_ComesOutAtItsFrequency_AndLevel(int inputRate)
    {
        var m = Measure(inputRate, (1000, 0.4));
        output.WriteLine($"{inputRate} Hz: {m}");
        Assert.InRange(m.PeakHz, 1000 - m.BinHz, 1000 + m.BinHz);
        Assert.InRange(m.PeakDb, Db(0.4) - 0.1, Db(0.4) + 0.1);
        Assert.True(m.SpurDb < -60, m.ToString());
    }

    [Theory]
    [InlineData(44100, 10000)]
    [InlineData(44100, 12000)]
    [InlineData(48000, 10000)]
    [InlineData(48000, 12000)]
    [InlineData(44100, 20000)]
    public void ToneAboveTheNewNyquist_IsAttenuatedBelowMinus60Db(int inputRate, double interfererHz)
    {
        var m = Measure(inputRate, (1000, 0.4), (interfererHz, 0.4));
        output.WriteLine($"{inputRate} Hz, 1 kHz + {interfererHz} Hz: {m}");
        Assert.InRange(m.PeakHz, 1000 - m.BinHz, 1000 + m.BinHz);
        Assert.True(m.SpurDb < -60, m.ToString());
    }

    [Fact]
    public void Upsampling_LeavesNoImageAboveMinus60Db()
    {
        var m = Measure(8000, (3500, 0.4));           // image would be at 4.5 kHz
        output.WriteLine($"8000 Hz, 3.5 kHz: {m}");
        Assert.InRange(m.PeakHz, 3500 - m.BinHz, 3500 + m.BinHz);
        Assert.True(m.SpurDb < -60, m.ToString());
    }

    [Fact]
    public void PassBand_IsFlatTo7kHz()
    {
        var m = Measure(44100, (7000, 0.4));
        output.WriteLine($"44100 Hz, 7 kHz: {m}");
        Assert.InRange(m.PeakDb, Db(0.4) - 0.2, Db(0.4) + 0.2);
    }

    [Theory]
    [InlineData(44100)]
    [InlineData(8000)]
    public void Output_HasTheDurationOfTheInput_WhateverTheBlockSize(int inputRate)
    {
        long inputLength = inputRate * 2L;
        var whole = Spectrum.ReadAll(new MonoResampler(new ToneSource(inputRate, inputLength, (440, 0.5)), Target), 4096);
        var small = Spectrum.ReadAll(new MonoResampler(new ToneSource(inputRate, inputLength, (440, 0.5)), Target), 37);
        long expected = inputLength * Target / inputRate;
        output.WriteLine($"{inputRate} Hz, 2 s: {whole.Length} samples in blocks of 4096, {small.Length} in blocks of 37, expected {expected}");
        Assert.InRange(whole.Length, expected - 2, expected + 2);
        Assert.InRange(small.Length, expected - 2, expected + 2);
        double maxDifference = 0;
        for (int i = 0; i < Math.Min(whole.Length, small.Length); i++) maxDifference = Math.Max(maxDifference, Math.Abs(whole[i] - small[i]));
        output.WriteLine($"max difference between block sizes {maxDifference:E2}");
        Assert.True(maxDifference < 1e-5, $"{maxDifference}");
    }

    [Fact]
    public void EqualRates_PassTheSourceThrough()
    {
        var expected = new ToneSource(Target, 1000, (440, 0.5)).ToArray();
        var actual = Spectrum.ReadAll(new MonoResampler(new ToneSource(Target, 1000, (440, 0.5)), Target), 64);
        Assert.Equal(expected, actual);
    }

    private static ToneMeasurement Measure(int inputRate, params (double Hz, double Amplitude)[] tones) =>
        Spectrum.Measure(Spectrum.ReadAll(new MonoResampler(new ToneSource(inputRate, inputRate * 2L, tones), Target)), Target, Skip);

    private static double Db(double amplitude) => 20 * Math.Log10(amplitude);

    [Fact]
    public void FarDownsampling_AsksTheSourceForBoundedInput_AndStillDeliversEverySample()
    {
        // Before: one 65536-sample read at 384 kHz -> 1 kHz buffered 25 M input samples (651 MB for a
        // one-second file; --rate 1 reached 19 GB), BENCHMARKS.md.
        var tone = new ToneSource(384000, 384000, (100, 0.5));
        var counting = new CountingSource(tone);
        var resampler = new MonoResampler(counting, 1000);
        var buffer = new float[65536];
        long total = 0;
        int n;
        while ((n = resampler.Read(buffer)) > 0) total += n;
        Assert.InRange(counting.LargestRequest, 1, MonoResampler.MaxInputPerRead + MonoResampler.SincSize * 400);
        Assert.InRange(total, 995, 1005);
    }

    private sealed class CountingSource(NAudio.Wave.ISampleProvider inner) : NAudio.Wave.ISampleProvider
    {
        public int LargestRequest { get; private set; }
        public NAudio.Wave.WaveFormat WaveFormat => inner.WaveFormat;
        public int Read(Span<float> buffer)
        {
            LargestRequest = Math.Max(LargestRequest, buffer.Length);
            return inner.Read(buffer);
        }
    }
}
