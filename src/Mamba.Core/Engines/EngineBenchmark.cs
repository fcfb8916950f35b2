using System.Diagnostics;
using Mamba.Core.Benchmarking;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Model;
using Mamba.Core.Sampling;

namespace Mamba.Core.Engines;

/// <summary>
/// Measures the CPU engine's generation speed (samples per second) on random-init weights, which
/// cost the same as trained ones. Each case: warm-up, then <c>runs</c> timed runs of at least
/// <c>secondsPerRun</c> each, generating blocks of <c>blockSamples</c>; the median run is reported.
/// </summary>
public static class EngineBenchmark
{
    public const int SampleRate = 16_000;

    /// <summary>The presets measured by default.</summary>
    public static IReadOnlyList<(string Name, MambaConfig Config)> Presets { get; } = new[]
    {
        ("small", new MambaConfig(64, 4)),
        ("base", new MambaConfig(256, 8)),
    };

    /// <summary>Every preset at 1, 8 and 64 streams; many streams on one thread and on every processor.</summary>
    public static IReadOnlyList<EngineBenchmarkRow> Run(int runs = 5, double secondsPerRun = 0.5, int blockSamples = 512,
        IReadOnlyList<int>? streamCounts = null, Action<EngineBenchmarkRow>? progress = null)
    {
        var rows = new List<EngineBenchmarkRow>();
        int processors = Environment.ProcessorCount;
        foreach (var (name, config) in Presets)
        {
            var weights = CpuWeights.Random(config, seed: 1);   // no libtorch needed
            foreach (int streams in streamCounts ?? new[] { 1, 8, 64 })
            {
                foreach (int threads in streams == 1 || processors == 1 ? new[] { 1 } : new[] { 1, processors })
                {
                    var row = MeasureCpu(name, weights, streams, new CpuEngineOptions(threads), runs, secondsPerRun, blockSamples);
                    progress?.Invoke(row);
                    rows.Add(row);
                }
                if (streams == 1 && CpuKernels.UseVector512)
                {
                    // The same engine held to Vector256 (what a machine without AVX-512 runs; the same bits).
                    CpuKernels.UseVector512 = false;
                    try
                    {
                        var row = MeasureCpu(name, weights, streams, new CpuEngineOptions(1), runs, secondsPerRun, blockSamples) with { Engine = "cpu-vector256" };
                        progress?.Invoke(row);
                        rows.Add(row);
                    }
                    finally { CpuKernels.UseVector512 = true; }
                }
            }
        }
        return rows;
    }

    /// <summary>One case: <paramref name="streams"/> streams on <paramref name="weights"/> with <paramref name="options"/>.</summary>
    public static EngineBenchmarkRow MeasureCpu(string preset, CpuWeights weights, int streams, CpuEngineOptions options,
        int runs = 5, double secondsPerRun = 0.5, int blockSamples = 512)
    {
        using var engine = new CpuStepEngine(weights, streams, options);
        return Measure(engine, "cpu", preset, engine.Threads, weights.Bytes, runs, secondsPerRun, blockSamples);
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
