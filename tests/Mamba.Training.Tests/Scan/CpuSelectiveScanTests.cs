using Mamba.Training.Scan;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Tests.Scan;

public class CpuSelectiveScanTests
{
    [Theory]
    [InlineData(2, 3, 16, 100, true)]     // l crosses one chunk boundary, not a multiple of 64
    [InlineData(2, 13, 16, 130, false)]   // d_in not a multiple of 8, no gate
    [InlineData(3, 5, 5, 129, true)]      // odd n: scalar path only
    [InlineData(2, 7, 21, 64, true)]      // n = 21: vector part plus a scalar tail; l exactly one chunk
    [InlineData(2, 5, 29, 70, false)]     // n = 29: Vector512, Vector256 and scalar parts (float32)
    [InlineData(1, 9, 16, 1, false)]      // a single step
    [InlineData(2, 40, 8, 200, true)]     // d_in / 16 > 1: several workers share the dB/dC sums
    public void FusedScan_MatchesReference_ValuesAndGradients(int b, int dIn, int n, int l, bool withZ)
    {
        long seed = ScanInputs.FreshSeed();
        string context = $"seed {seed}, b={b}, d_in={dIn}, n={n}, l={l}, z={withZ}";
        using var scope = NewDisposeScope();
        var x32 = ScanInputs.Random(seed, b, dIn, n, l, withZ);
        var w = randn(new long[] { b, dIn, l }, generator: new Generator((ulong)seed + 1));

        // Ground truth: the reference in float64 on the same (float32-valued) inputs.
        var truth = ScanResult.Run(ReferenceSelectiveScan.Instance, x32.To(ScalarType.Float64), w);
        var fused32 = ScanResult.Run(CpuSelectiveScan.Instance, x32, w);
        fused32.AssertCloseTo(truth, 1e-4, context + ", float32 fused vs float64 reference");

        var fused64 = ScanResult.Run(CpuSelectiveScan.Instance, x32.To(ScalarType.Float64), w);
        fused64.AssertCloseTo(truth, 1e-10, context + ", float64 fused vs float64 reference");

        var ref32 = ScanResult.Run(ReferenceSelectiveScan.Instance, x32, w);
        fused32.AssertCloseTo(ref32, 1e-4, context + ", float32 fused vs float32 reference");
    }

    [Fact]
    public void FusedScan_MatchesReference_OnRealisticInputsThroughUpstreamOps()
    {
        // delta = softplus(dt), A = -exp(A_log) as in the mixer: gradients must flow on to dt and A_log.
        long seed = ScanInputs.FreshSeed();
        const int b = 2, dIn = 24, n = 16, l = 300;
        string context = $"seed {seed}, b={b}, d_in={dIn}, n={n}, l={l}";
        using var scope = NewDisposeScope();
        var gen = new Generator((ulong)seed);
        var dt = (randn(new long[] { b, dIn, l }, generator: gen) - 4).requires_grad_(true);
        var aLog = log(arange(1, n + 1, dtype: ScalarType.Float32)).expand(dIn, n).contiguous().requires_grad_(true);
        var u = randn(new long[] { b, dIn, l }, generator: gen).requires_grad_(true);
        var B = randn(new long[] { b, n, l }, generator: gen).requires_grad_(true);
        var C = randn(new long[] { b, n, l }, generator: gen).requires_grad_(true);
        var D = ones(dIn).requires_grad_(true);
        var z = randn(new long[] { b, dIn, l }, generator: gen).requires_grad_(true);
        var w = randn(new long[] { b, dIn, l }, generator: gen);
        var leaves = new (string, Tensor)[] { ("dt", dt), ("A_log", aLog), ("u", u), ("B", B), ("C", C), ("D", D), ("z", z) };

        Dictionary<string, Tensor> Grads(ISelectiveScan scan, out Tensor y)
        {
            y = scan.Forward(u, nn.functional.softplus(dt), -exp(aLog), B, C, D, z);
            (y * w).sum().backward();
            var g = leaves.ToDictionary(p => p.Item1, p => p.Item2.grad!.clone());
            foreach (var (_, t) in leaves) t.grad!.zero_();
            return g;
        }

        var expected = Grads(ReferenceSelectiveScan.Instance, out var yRef);
        var actual = Grads(CpuSelectiveScan.Instance, out var yFused);
        ScanAssert.Close("y", yFused, yRef, 1e-4, context);
        foreach (var (name, g) in expected) ScanAssert.Close($"d{name}", actual[name], g, 1e-4, context);

        // Without autograd the fused scan takes its direct path: same values.
        using (no_grad())
            ScanAssert.Close("y (no_grad)", CpuSelectiveScan.Instance.Forward(u, softplus(dt), -exp(aLog), B, C, D, z), yRef, 1e-4, context);
    }

    private static Tensor softplus(Tensor t) => nn.functional.softplus(t);

    [Fact]
    public void FusedScan_AcceptsNonContiguousViews()
    {
        long seed = ScanInputs.FreshSeed();
        const int b = 2, dIn = 11, n = 16, l = 90;
        string context = $"seed {seed}";
        using var scope = NewDisposeScope();
        var gen = new Generator((ulong)seed);
        // Leaves in other layouts; the scan sees transposes and strided slices, as the mixer passes them.
        var uBld = randn(new long[] { b, l, dIn }, generator: gen).requires_grad_(true);
        var deltaWide = (0.05 * rand(new long[] { b, dIn, 2 * l }, generator: gen)).requires_grad_(true);
        var bBln = randn(new long[] { b, l, n }, generator: gen).requires_grad_(true);
        var cBln = randn(new long[] { b, l, n }, generator: gen).requires_grad_(true);
        var aNd = (-rand(new long[] { n, dIn }, generator: gen) - 0.5).requires_grad_(true);
        var dWide = ones(2 * dIn).requires_grad_(true);
        var zBld = randn(new long[] { b, l, dIn }, generator: gen).requires_grad_(true);
        var w = randn(new long[] { b, dIn, l }, generator: gen);
        var leaves = new[] { uBld, deltaWide, bBln, cBln, aNd, dWide, zBld };

        (Tensor, List<Tensor>) Run(ISelectiveScan scan)
        {
            var last = zeros(new long[] { b, n, dIn }).transpose(1, 2);   // a non-contiguous lastState too
            var y = scan.Forward(uBld.transpose(1, 2), deltaWide[.., .., TensorIndex.Slice(0, null, 2)], aNd.t(),
                bBln.transpose(1, 2), cBln.transpose(1, 2), dWide[TensorIndex.Slice(1, null, 2)], zBld.transpose(1, 2), last);
            (y * w).sum().backward();
            var grads = leaves.Select(t => t.grad!.clone()).ToList();
            foreach (var t in leaves) t.grad!.zero_();
            return (cat(new[] { y.flatten(), last.flatten() }), grads);
        }

        var (yRef, gRef) = Run(ReferenceSelectiveScan.Instance);
        var (yFused, gFused) = Run(CpuSelectiveScan.Instance);
        ScanAssert.Close("y and lastState", yFused, yRef, 1e-4, context);
        for (int i = 0; i < gRef.Count; i++) ScanAssert.Close($"grad of leaf {i}", gFused[i], gRef[i], 1e-4, context);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FusedScan_Gradients_MatchCentralFiniteDifferencesInFloat64(bool withZ)
    {
        long seed = ScanInputs.FreshSeed();
        const int b = 2, dIn = 3, n = 5, l = 70;    // l > 64: the backward recomputes two chunks
        string context = $"seed {seed}, z={withZ}";
        using var scope = NewDisposeScope();
        var x = ScanInputs.Random(seed, b, dIn, n, l, withZ, ScalarType.Float64);
        // Larger delta than realistic so that the A and delta gradients are well away from zero.
        using (no_grad()) x.Delta.mul_(10);
        var w = randn(new long[] { b, dIn, l }, dtype: ScalarType.Float64, generator: new Generator((ulong)seed + 1));

        var y = CpuSelectiveScan.Instance.Forward(x.U, x.Delta, x.A, x.B, x.C, x.D, x.Z);
        (y * w).sum().backward();

        double Loss()
        {
            using var s = NewDisposeScope();
            using var _ = no_grad();
            return (CpuSelectiveScan.Instance.Forward(x.U, x.Delta, x.A, x.B, x.C, x.D, x.Z) * w).sum().item<double>();
        }

        var pick = new Random((int)(seed % int.MaxValue));
        const double eps = 1e-6;
        foreach (var (name, t) in x.Named())
        {
            var analytic = t.grad!.flatten();
            using var flat = t.detach().view(-1);     // shares storage with the leaf
            int count = (int)flat.numel();
            var indices = Enumerable.Range(0, count).OrderBy(_ => pick.Next()).Take(40).ToList();
            double worst = 0;
            string worstAt = "";
            foreach (int i in indices)
            {
                double v = flat[i].item<double>();
                flat[i] = v + eps;
                double plus = Loss();
                flat[i] = v - eps;
                double minus = Loss();
                flat[i] = v;
                double numeric = (plus - minus) / (2 * eps);
                double a = analytic[i].item<double>();
                double err = Math.Abs(numeric - a) / (1e-3 + Math.Abs(numeric));
                if (err > worst) { worst = err; worstAt = $"index {i}: analytic {a:E6}, numeric {numeric:E6}"; }
            }
            Assert.True(worst < 1e-5, $"d{name}: finite-difference mismatch {worst:E3} at {worstAt} ({context}).");
        }
    }

    [Theory]
    [InlineData(1e3)]
    [InlineData(50.0)]
    public void FusedScan_LargeDelta_GivesNoNanOrInf(double deltaMax)
    {
        long seed = ScanInputs.FreshSeed();
        const int b = 2, dIn = 10, n = 16, l = 150;
        string context = $"seed {seed}, delta up to {deltaMax}";
        using var scope = NewDisposeScope();
        var x = ScanInputs.Random(seed, b, dIn, n, l, withZ: true, deltaMax: deltaMax);
        using (no_grad())
        {
            x.Delta[.., .., TensorIndex.Slice(0, 10)] = tensor(deltaMax);   // the extreme itself, too
            x.Z![0, 0] = 80 * x.Z[0, 0];                                      // silu far out on both sides
        }
        var w = randn(new long[] { b, dIn, l }, generator: new Generator((ulong)seed + 1));
        var fused = ScanResult.Run(CpuSelectiveScan.Instance, x, w);
        ScanAssert.AllFinite("y", fused.Y, context);
        ScanAssert.AllFinite("lastState", fused.LastState, context);
        foreach (var (name, g) in fused.Grads) ScanAssert.AllFinite($"d{name}", g, context);

        var truth = ScanResult.Run(ReferenceSelectiveScan.Instance, x.To(ScalarType.Float64), w);
        fused.AssertCloseTo(truth, 1e-4, context);
    }

    [Fact]
    public void FusedScan_RejectsMixedDtypes_WithTheOperandNamed()
    {
        using var scope = NewDisposeScope();
        var x = ScanInputs.Random(1, 1, 2, 4, 8, withZ: false);
        var ex = Assert.Throws<ArgumentException>(() =>
            { CpuSelectiveScan.Instance.Forward(x.U, x.Delta, x.A.to(ScalarType.Float64), x.B, x.C, x.D, null); });
        Assert.Contains("A", ex.Message);
        Assert.Throws<ArgumentException>(() =>
            { CpuSelectiveScan.Instance.Forward(x.U.to(ScalarType.Int32), x.Delta, x.A, x.B, x.C, x.D, null); });
    }

    [Fact]
    public void FusedScan_RejectsTensorsOffTheCpu()
    {
        using var scope = NewDisposeScope();
        var x = ScanInputs.Random(1, 1, 2, 4, 8, withZ: false);
        var onMeta = x.U.detach().to(new Device(DeviceType.META));
        var ex = Assert.Throws<ArgumentException>(() =>
            { CpuSelectiveScan.Instance.Forward(onMeta, x.Delta, x.A, x.B, x.C, x.D, null); });
        Assert.Contains("CPU", ex.Message);
    }
}
