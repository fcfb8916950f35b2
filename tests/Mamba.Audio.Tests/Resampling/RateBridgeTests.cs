using Mamba.Audio.Resampling;
using Mamba.Audio.Tests.Support;

namespace Mamba.Audio.Tests.Resampling;

/// <summary>The bridge between a host's rate and a model's: what goes in comes out, delayed by the latency it states, in blocks of any size, allocating nothing.</summary>
public class RateBridgeTests(ITestOutputHelper output)
{
    private sealed class Identity : IInnerBlock
    {
        public long Samples;
        public void Process(Span<float> block) => Samples += block.Length;
    }

    private static float[] RunThrough(RateBridge bridge, float[] input, Random random, IInnerBlock inner)
    {
        var result = new float[input.Length];
        for (int done = 0; done < input.Length;)
        {
            int n = Math.Min(input.Length - done, random.Next(1, 3000));   // blocks shorter and longer than the bridge's 1024
            bridge.Process(input.AsSpan(done, n), result.AsSpan(done, n), inner);
            done += n;
        }
        return result;
    }

    [Theory]
    [InlineData(48000, 16000)]
    [InlineData(44100, 16000)]
    [InlineData(16000, 22050)]
    public void WhatGoesIn_ComesOutDelayedByExactlyTheStatedLatency(int host, int inner)
    {
        int seed = TestSeed.Fresh();
        var random = new Random(seed);
        var bridge = new RateBridge(host, inner, 1024);
        var identity = new Identity();
        int total = 2 * host;
        // A chirp, 200 Hz to 3 kHz (under both Nyquists): no shift but the true one matches it.
        var input = new float[total];
        for (int i = 0; i < total; i++)
        {
            double t = (double)i / host;
            input[i] = (float)(0.5 * Math.Sin(2 * Math.PI * (200 * t + 1400 * t * t / 2)));
        }
        var result = RunThrough(bridge, input, random, identity);
        Assert.Equal(0, bridge.ShortSamples);
        Assert.Equal(0, bridge.DroppedSamples);
        Assert.InRange(identity.Samples, (long)total * inner / host - StreamingSincResampler.Taps, (long)total * inner / host + 2);

        int best = 0;
        double bestError = double.MaxValue;
        for (int delay = 0; delay < 3 * bridge.LatencySamples; delay++)
        {
            double error = 0;
            for (int i = host / 4; i < total - 3 * bridge.LatencySamples; i += 7) error += Math.Pow(result[i + delay] - input[i], 2);
            if (error < bestError) (best, bestError) = (delay, error);
        }
        double worst = 0;
        for (int i = host / 4; i < total - best; i++) worst = Math.Max(worst, Math.Abs(result[i + best] - input[i]));
        output.WriteLine($"seed {seed}: {host} -> {inner} -> {host} Hz: delay {best} samples, stated {bridge.LatencySamples}; largest error {worst:E2}");
        Assert.Equal(bridge.LatencySamples, best);
        Assert.True(worst < 2e-3, $"largest error {worst}");
    }

    [Theory]
    [InlineData(48000, 16000)]
    [InlineData(44100, 16000)]
    public void AToneThroughIt_StaysClean(int host, int inner)
    {
        var bridge = new RateBridge(host, inner, 1024);
        var input = Enumerable.Range(0, 2 * host).Select(i => (float)(0.5 * Math.Sin(2 * Math.PI * 1000 * i / host))).ToArray();
        var tone = Spectrum.Measure(RunThrough(bridge, input, new Random(2), new Identity()), host, host / 2);
        output.WriteLine(tone.ToString());
        Assert.Equal(1000, tone.PeakHz, 3.0);
        Assert.Equal(-6.02, tone.PeakDb, 1.0);
        Assert.True(tone.SpurDb < -90, tone.ToString());
    }

    [Fact]
    public void EqualRates_PassTheSamplesStraightThrough()
    {
        var bridge = new RateBridge(16000, 16000, 256);
        Assert.Equal(0, bridge.LatencySamples);
        var input = Enumerable.Range(0, 1000).Select(i => i / 1000f).ToArray();
        var result = new float[1000];
        bridge.Process(input, result, new Identity());
        Assert.Equal(input, result);
    }

    [Fact]
    public void Processing_AllocatesNothing()
    {
        var bridge = new RateBridge(48000, 16000, 1024);
        var identity = new Identity();
        var block = new float[700];
        bridge.Process(block, block, identity);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2000; i++) bridge.Process(block.AsSpan(0, 1 + i % 700), block.AsSpan(0, 1 + i % 700), identity);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
