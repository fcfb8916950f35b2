using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Tests.Scan;

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
    public ScanInputs To(ScalarType dtype) => new(Leaf(U, dtype), Leaf(Delta, dtype), Leaf(A, dtype), Leaf(B, dtype),
        Leaf(C, dtype), Leaf(D, dtype), Z is null ? null : Leaf(Z, dtype));

    private static Tensor Leaf(Tensor t, ScalarType dtype) => t.detach().to(dtype).clone().requires_grad_(true);

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
    public static long FreshSeed() => System.Random.Shared.NextInt64(1, int.MaxValue);
}

/// <summary>Error statistics between two tensors, printed before asserting.</summary>
internal static class ScanAssert
{
    /// <summary>
    /// Asserts max|actual - expected| / max|expected| &lt;= <paramref name="tolerance"/> (error relative
    /// to the size of the result, so that near-zero entries do not dominate) and prints max and mean
    /// absolute and relative errors on failure.
    /// </summary>
    public static void Close(string what, Tensor actual, Tensor expected, double tolerance, string context)
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
        if (!(rel <= tolerance))
        {
            var msg = new StringBuilder();
            msg.Append($"{what}: relative error {rel:E3} > {tolerance:E1} ({context}). ");
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
