using Mamba.Core.Scan;
using Xunit.Abstractions;

namespace Mamba.Core.Tests.Scan;

public class SelectiveScanBenchmarkTests(ITestOutputHelper output)
{
    [Fact]
    public void Benchmark_ReturnsPositiveTimings_AtATinySize()
    {
        var t = SelectiveScanBenchmark.Run(CpuSelectiveScan.Instance, batch: 1, dInner: 4, dState: 16, length: 100, runs: 1);
        Assert.Equal("cpu-fused", t.Scan);
        Assert.True(t.ForwardSeconds > 0 && t.ForwardBackwardSeconds > 0, t.ToString());
        Assert.Equal(100 / t.ForwardSeconds, t.ForwardSamplesPerSecond, 6);
    }

    /// <summary>The speed figure; runs only with MAMBA_SCAN_BENCH=1 (build in Release).</summary>
    [SkippableFact]
    public void Benchmark_DefaultSizes_PrintsSamplesPerSecond()
    {
        Skip.IfNot(Environment.GetEnvironmentVariable("MAMBA_SCAN_BENCH") == "1", "set MAMBA_SCAN_BENCH=1 to run the benchmark");
        foreach (var t in SelectiveScanBenchmark.RunDefault())
            output.WriteLine($"{t.Scan,-10} b={t.Batch} d_in={t.DInner} n={t.DState} l={t.Length} threads={t.Threads}: " +
                $"forward {t.ForwardSeconds * 1e3:F2} ms = {t.ForwardSamplesPerSecond:F0} samples/s, " +
                $"forward+backward {t.ForwardBackwardSeconds * 1e3:F2} ms = {t.ForwardBackwardSamplesPerSecond:F0} samples/s");
    }
}
