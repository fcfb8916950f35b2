using Mamba.Core.Scan;

namespace Mamba.Core.Tests.Scan;

public class SelectiveScanBenchmarkTests
{
    [Fact]
    public void Benchmark_ReturnsPositiveTimings_AtATinySize()
    {
        var t = SelectiveScanBenchmark.Run(CpuSelectiveScan.Instance, batch: 1, dInner: 4, dState: 16, length: 100, runs: 1);
        Assert.Equal("cpu-fused", t.Scan);
        Assert.True(t.ForwardSeconds > 0 && t.ForwardBackwardSeconds > 0, t.ToString());
        Assert.Equal(100 / t.ForwardSeconds, t.ForwardSamplesPerSecond, 6);
    }
}
