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
}
