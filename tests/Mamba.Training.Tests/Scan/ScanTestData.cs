using Mamba.Training.Scan;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Tests.Scan;

/// <summary>
/// Random operands of a selective scan, as leaf tensors (so that gradients can be read), in the
/// interface's layout: u, delta, z (b, d_in, l); A (d_in, n); B, C (b, n, l); D (d_in).
/// </summary>
internal sealed record ScanInputs(Tensor U, Tensor Delta, Tensor A, Tensor B, Tensor C, Tensor D, Tensor? Z)
{
    public IEnumerable<(string Name, Tensor Tensor)> Named()
    {
        yield return ("u", U);
        yield return ("delta", Delta);
        yield return ("A", A);
        yield return ("B", B);
        yield return ("C", C);
        yield return ("D", D);
        if (Z is not null) yield return ("z", Z);
    }

    /// <summary>Detached copies in <paramref name="dtype"/>, requiring grad.</summary>
    public ScanInputs To(ScalarType dtype) => Map(t => t.to(dtype));

    /// <summary>Detached copies on <paramref name="device"/>, requiring grad.</summary>
    public ScanInputs On(Device device) => Map(t => t.to(device));

    private ScanInputs Map(Func<Tensor, Tensor> convert)
    {
        Tensor Leaf(Tensor t) => convert(t.detach()).clone().requires_grad_(true);
        return new(Leaf(U), Leaf(Delta), Leaf(A), Leaf(B), Leaf(C), Leaf(D), Z is null ? null : Leaf(Z));
    }

    /// <summary>
    /// Realistic Mamba operands: u ~ N(0,1), delta = softplus(N(-4,1)) (about 0.001..0.1),
    /// A = -exp(log(1..n)) for every channel, B, C ~ N(0,1), D = 1 (+ small noise), z ~ N(0,1).
    /// <paramref name="deltaMax"/>, when given, replaces delta by U(0, deltaMax) (stress test).
    /// </summary>
    public static ScanInputs Random(long seed, int b, int dIn, int n, int l, bool withZ,
        ScalarType dtype = ScalarType.Float32, double? deltaMax = null)
    {
        using var gen = new Generator((ulong)seed);
        var u = randn(new long[] { b, dIn, l }, generator: gen);
        var delta = deltaMax is double max
            ? rand(new long[] { b, dIn, l }, generator: gen) * max
            : nn.functional.softplus(randn(new long[] { b, dIn, l }, generator: gen) - 4);
        var A = -exp(log(arange(1, n + 1, dtype: ScalarType.Float64))).to(ScalarType.Float32).expand(dIn, n)
            * (1 + 0.1 * rand(new long[] { dIn, n }, generator: gen));   // a little per-channel variety
        var B = randn(new long[] { b, n, l }, generator: gen);
        var C = randn(new long[] { b, n, l }, generator: gen);
        var D = ones(dIn) + 0.1 * randn(new long[] { dIn }, generator: gen);
        var z = withZ ? randn(new long[] { b, dIn, l }, generator: gen) : null;
        return new ScanInputs(u, delta, A, B, C, D, z).To(dtype);
    }

    /// <summary>A seed that differs from run to run; every failure message prints it.</summary>
    public static long FreshSeed() => TestSeed.Fresh();
}

/// <summary>y, the gradient of every operand for loss = sum(y * w), and h_l, all copied to the CPU.</summary>
internal sealed record ScanResult(Tensor Y, Dictionary<string, Tensor> Grads, Tensor LastState)
{
    /// <summary>Runs <paramref name="scan"/> on <paramref name="x"/> (on its device) with autograd; leaves the inputs' grads zero.</summary>
    public static ScanResult Run(ISelectiveScan scan, ScanInputs x, Tensor w)
    {
        var last = zeros(new long[] { x.U.shape[0], x.U.shape[1], x.A.shape[1] }, x.U.dtype, x.U.device);
        var y = scan.Forward(x.U, x.Delta, x.A, x.B, x.C, x.D, x.Z, last);
        y.backward(new[] { w.to(y.dtype).to(y.device) });
        var grads = x.Named().ToDictionary(p => p.Name, p => p.Tensor.grad!.cpu().clone());
        foreach (var (_, t) in x.Named()) t.grad!.zero_();
        return new ScanResult(y.detach().cpu(), grads, last.cpu());
    }

    /// <summary>
    /// Asserts y, h_l and every gradient within <paramref name="tolerance"/> of <paramref name="expected"/>'s.
    /// With <paramref name="float32"/> (the reference run in float32 on the same inputs), an error up to
    /// 8 times that run's own error is accepted too: where a result is a sum that cancels (a gradient
    /// of one step), float32 cannot be closer to float64 than float32 rounding allows, whatever the kernel.
    /// </summary>
    public void AssertCloseTo(ScanResult expected, double tolerance, string context, ScanResult? float32 = null)
    {
        double Floor(Func<ScanResult, Tensor> pick) => float32 is null ? 0 : 8 * ScanAssert.MaxAbsDifference(pick(float32), pick(expected));
        ScanAssert.Close("y", Y, expected.Y, tolerance, context, Floor(r => r.Y));
        ScanAssert.Close("lastState", LastState, expected.LastState, tolerance, context, Floor(r => r.LastState));
        foreach (var (name, g) in expected.Grads)
            ScanAssert.Close($"d{name}", Grads[name], g, tolerance, context, Floor(r => r.Grads[name]));
    }
}

/// <summary>Error statistics between two tensors, printed before asserting.</summary>
internal static class ScanAssert
{
    /// <summary>
    /// Asserts max|actual - expected| / max|expected| &lt;= <paramref name="tolerance"/> (error relative
    /// to the size of the result, so that near-zero entries do not dominate) and prints max and mean
    /// absolute and relative errors on failure.
    /// </summary>
    public static double MaxAbsDifference(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return (a.detach().to(ScalarType.Float64) - b.detach().to(ScalarType.Float64)).abs().max().item<double>();
    }

    /// <param name="absoluteFloor">An absolute error accepted whatever the relative one (float32's own rounding on this input; 0 = none).</param>
    public static void Close(string what, Tensor actual, Tensor expected, double tolerance, string context, double absoluteFloor = 0)
    {
        using var scope = NewDisposeScope();
        Assert.Equal(expected.shape, actual.shape);
        var a = actual.detach().to(ScalarType.Float64);
        var e = expected.detach().to(ScalarType.Float64);
        Assert.True(isfinite(a).all().item<bool>(), $"{what}: non-finite values in the result ({context}).");
        var diff = (a - e).abs();
        double maxAbs = diff.max().item<double>();
        double meanAbs = diff.mean().item<double>();
        double scale = Math.Max(e.abs().max().item<double>(), 1e-30);
        double meanScale = Math.Max(e.abs().mean().item<double>(), 1e-30);
        double rel = maxAbs / scale;
        if (!(rel <= tolerance) && !(maxAbs <= absoluteFloor))
        {
            var msg = new StringBuilder();
            msg.Append($"{what}: relative error {rel:E3} > {tolerance:E1} ({context}); absolute {maxAbs:E3} > 8 x float32's own error {absoluteFloor:E3}. ");
            msg.Append($"max abs {maxAbs:E3}, mean abs {meanAbs:E3}, max |expected| {scale:E3}, ");
            msg.Append($"mean abs / mean |expected| {meanAbs / meanScale:E3}.");
            Assert.Fail(msg.ToString());
        }
    }

    public static void AllFinite(string what, Tensor t, string context)
    {
        using var scope = NewDisposeScope();
        var bad = (~isfinite(t.detach())).sum().item<long>();
        Assert.True(bad == 0, $"{what}: {bad} NaN/Inf values of {t.numel()} ({context}).");
    }
}
