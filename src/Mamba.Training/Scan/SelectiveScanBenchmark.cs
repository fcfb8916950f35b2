using System.Diagnostics;
using Mamba.Core.Benchmarking;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Scan;

/// <summary>One measured configuration: a scan at one size, forward alone and forward + backward.</summary>
/// <param name="Scan">The scan's <see cref="ISelectiveScan.Name"/>.</param>
/// <param name="ForwardSeconds">Median wall time of one forward (no autograd).</param>
/// <param name="ForwardBackwardSeconds">Median wall time of one forward with autograd plus backward.</param>
/// <param name="ForwardSamplesPerSecond">b * l / ForwardSeconds.</param>
/// <param name="ForwardBackwardSamplesPerSecond">b * l / ForwardBackwardSeconds.</param>
public sealed record SelectiveScanTiming(
    string Scan, string Device, int Batch, int DInner, int DState, int Length, int Runs, int Threads,
    double ForwardSeconds, double ForwardBackwardSeconds,
    double ForwardSamplesPerSecond, double ForwardBackwardSamplesPerSecond);

/// <summary>
/// Times a selective scan on a device (the CPU, or CUDA, synchronised before each clock read) in float32 on realistic inputs (u ~ N(0,1),
/// delta = softplus(N(-4,1)), A = -(1..n) for every channel, B, C ~ N(0,1), D = 1, a z gate):
/// the median of <c>runs</c> runs after a warm-up (up to 60 calls or 2 s, at least 3). Samples per second count b * l time steps.
/// </summary>
public static class SelectiveScanBenchmark
{
    /// <summary>
    /// Both scans at the same short length (the reference launches O(l) ops), then the fused scan
    /// at a training length. d_in = 128 is the small preset's (d_model 64).
    /// </summary>
    public static IReadOnlyList<SelectiveScanTiming> RunDefault(int runs = 5) => new[]
    {
        Run(ReferenceSelectiveScan.Instance, batch: 2, dInner: 128, dState: 16, length: 512, runs: runs),
        Run(CpuSelectiveScan.Instance, batch: 2, dInner: 128, dState: 16, length: 512, runs: runs),
        Run(CpuSelectiveScan.Instance, batch: 2, dInner: 128, dState: 16, length: 4096, runs: runs),
    };

    /// <summary>
    /// On CUDA: the reference and the ILGPU scan at the same short length, then the ILGPU scan at
    /// the training crop (2048) for the small (d_in 128) and base (d_in 512) presets, batch 16.
    /// </summary>
    public static IReadOnlyList<SelectiveScanTiming> RunCuda(Device cuda, int runs = 5) => new[]
    {
        Run(ReferenceSelectiveScan.Instance, batch: 2, dInner: 128, dState: 16, length: 512, runs: runs, device: cuda),
        Run(IlgpuSelectiveScan.Instance, batch: 2, dInner: 128, dState: 16, length: 512, runs: runs, device: cuda),
        Run(IlgpuSelectiveScan.Instance, batch: 16, dInner: 128, dState: 16, length: 2048, runs: runs, device: cuda),
        Run(IlgpuSelectiveScan.Instance, batch: 16, dInner: 512, dState: 16, length: 2048, runs: runs, device: cuda),
    };

    public static SelectiveScanTiming Run(ISelectiveScan scan, int batch, int dInner, int dState, int length, int runs = 5,
        long seed = 1, Device? device = null)
    {
        if (runs < 1) throw new ArgumentOutOfRangeException(nameof(runs), runs, "runs must be at least 1.");
        device ??= CPU;
        using var scope = NewDisposeScope();
        using var gen = new Generator((ulong)seed);
        var u = randn(new long[] { batch, dInner, length }, generator: gen);                                      // (b, d_in, l)
        var delta = nn.functional.softplus(randn(new long[] { batch, dInner, length }, generator: gen) - 4);      // (b, d_in, l)
        var A = -arange(1, dState + 1, dtype: ScalarType.Float32).expand(dInner, dState).contiguous();            // (d_in, n)
        var B = randn(new long[] { batch, dState, length }, generator: gen);                                      // (b, n, l)
        var C = randn(new long[] { batch, dState, length }, generator: gen);                                      // (b, n, l)
        var D = ones(dInner);                                                                                    // (d_in)
        var z = randn(new long[] { batch, dInner, length }, generator: gen);                                      // (b, d_in, l)
        var grad = randn(new long[] { batch, dInner, length }, generator: gen);                                   // dLoss/dy
        (u, delta, A, B, C, D, z, grad) = (u.to(device), delta.to(device), A.to(device), B.to(device), C.to(device), D.to(device), z.to(device), grad.to(device));
        var leaves = new[] { u, delta, A, B, C, D, z };
        bool cuda = device.type == DeviceType.CUDA;

        double forward = Median(runs, cuda, () =>
        {
            using var s = NewDisposeScope();
            using var _ = no_grad();
            scan.Forward(u, delta, A, B, C, D, z);
        });
        foreach (var t in leaves) t.requires_grad_(true);
        double forwardBackward = Median(runs, cuda, () =>
        {
            using var s = NewDisposeScope();
            var y = scan.Forward(u, delta, A, B, C, D, z);
            y.backward(new[] { grad });
            foreach (var t in leaves) t.grad?.zero_();
        });

        double samples = (double)batch * length;
        return new SelectiveScanTiming(scan.Name, device.ToString(), batch, dInner, dState, length, runs, Environment.ProcessorCount,
            forward, forwardBackward, samples / forward, samples / forwardBackward);
    }

    private static double Median(int runs, bool cuda, Action body)
    {
        void Run()
        {
            body();
            if (cuda) torch.cuda.synchronize();
        }
        // Warm-up: tiered JIT. The BCL's Vector512/256.Exp and the kernel reach their optimised
        // (PGO) code only after some tens of calls; until then a forward is about 3x slower.
        var warm = Stopwatch.StartNew();
        for (int calls = 0; calls < 3 || (calls < 60 && warm.Elapsed.TotalSeconds < 2); calls++) Run();
        return Timing.MedianSeconds(runs, Run);
    }
}
