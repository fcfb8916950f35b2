using System.Text.Json;
using Mamba.Core.Engines;

namespace Mamba.Core.Tests.Engines;

public class EngineBenchmarkTests
{
    [Fact]
    public void Benchmark_ReturnsARowPerCase()
    {
        var rows = EngineBenchmark.Run(runs: 1, secondsPerRun: 0.01, blockSamples: 16, streamCounts: new[] { 1, 2 });
        Assert.All(rows, r => Assert.True(r.SamplesPerSecond > 0));
        Assert.Contains(rows, r => r.Preset == "base" && r.Streams == 2);
    }

    /// <summary>The full measurement; runs only with MAMBA_BENCH=path (rows written there as JSON). Use a Release build.</summary>
    [Fact]
    public void Benchmark_FullRun()
    {
        string? path = Environment.GetEnvironmentVariable("MAMBA_BENCH");
        Assert.SkipWhen(string.IsNullOrEmpty(path), "set MAMBA_BENCH=<file> to run the benchmark");
        var lines = new List<string>();
        var rows = EngineBenchmark.Run(progress: r => File.AppendAllText(path + ".log", JsonSerializer.Serialize(r) + "\n"));
        File.WriteAllText(path!, JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
    }
}
