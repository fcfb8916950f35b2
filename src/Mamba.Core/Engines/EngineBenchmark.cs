using System.Diagnostics;
using Mamba.Core.Benchmarking;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Model;
using Mamba.Core.Sampling;

namespace Mamba.Core.Engines;

/// <summary>
/// Measures an engine's generation speed (samples per second); `mamba-audio bench generate` runs
/// it on random-init weights, which cost the same as trained ones. Each case: warm-up, then <c>runs</c> timed runs of at least
/// <c>secondsPerRun</c> each, generating blocks of <c>blockSamples</c>; the median run is reported.
/// </summary>
public static class EngineBenchmark
{
    /// <summary>The rate real-time factors are given at (the default corpus rate).</summary>
    public const int SampleRate = 16_000;

    /// <summary>One case: <paramref name="streams"/> streams on <paramref name="weights"/> with <paramref name="options"/>.</summary>
    public static EngineBenchmarkRow MeasureCpu(string preset, CpuWeights weights, int streams, CpuEngineOptions options,
        int runs = 5, double secondsPerRun = 0.5, int blockSamples = 512)
    {
        using var engine = new CpuStepEngine(weights, streams, options);
        string name = options.VectorWidth == CpuVectorWidth.Auto ? "cpu" : $"cpu-{options.VectorWidth.Resolve().Name()}";
        return Measure(engine, name, preset, engine.Threads, weights.Bytes, runs, secondsPerRun, blockSamples);
    }

    /// <summary>
    /// One case on any engine: every slot opened (seeds 0..N-1), a warm-up, then <paramref name="runs"/>
    /// timed runs of at least <paramref name="secondsPerRun"/> each, generating blocks of
    /// <paramref name="blockSamples"/> per stream; the median run is reported. Slow engines want small blocks.
    /// </summary>
    public static EngineBenchmarkRow Measure(IStepEngine engine, string engineName, string preset, int threads, long weightBytes,
        int runs = 5, double secondsPerRun = 0.5, int blockSamples = 512)
    {
        if (runs < 1) throw new ArgumentOutOfRangeException(nameof(runs), runs, "must be >= 1.");
        if (blockSamples < 1) throw new ArgumentOutOfRangeException(nameof(blockSamples), blockSamples, "must be >= 1.");
        int streams = engine.Slots;
        for (int s = engine.ActiveCount; s < streams; s++) engine.Open(SamplingSettings.Default((ulong)s));
        var output = new byte[streams * blockSamples];
        var warmUp = Stopwatch.StartNew();
        do engine.Generate(blockSamples, output); while (warmUp.Elapsed.TotalSeconds < Math.Min(0.2, secondsPerRun));

        var rates = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            long samples = 0;
            var clock = Stopwatch.StartNew();
            do
            {
                engine.Generate(blockSamples, output);
                samples += (long)blockSamples * streams;
            } while (clock.Elapsed.TotalSeconds < secondsPerRun);
            rates[r] = samples / clock.Elapsed.TotalSeconds;
        }
        double median = Timing.Median(rates);
        var c = engine.Config;
        return new EngineBenchmarkRow(engineName, preset, c.DModel, c.NLayer, streams, threads,
            median, median / streams, median / streams / SampleRate, weightBytes, runs);
    }
}
