using Xunit.Sdk;

using static TorchSharp.torch;

namespace Mamba.Training.Tests.Support;

/// <summary>Comparisons that print max and mean errors before failing, as mamba_ssm's tests do.</summary>
public static class TensorAssert
{
    /// <summary>
    /// Passes when max|actual - expected| / max|expected| is below <paramref name="relative"/>
    /// (a scale-aware relative error; elementwise ratios explode near zero crossings).
    /// </summary>
    public static void Close(Tensor actual, Tensor expected, double relative, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        var a = actual.detach().to_type(ScalarType.Float64).cpu();
        var e = expected.detach().to_type(ScalarType.Float64).cpu();
        var diff = (a - e).abs();
        double maxDiff = diff.max().item<double>(), meanDiff = diff.mean().item<double>();
        double scale = Math.Max(e.abs().max().item<double>(), 1e-30);
        bool finite = a.isfinite().all().item<bool>();
        if (!finite || maxDiff / scale >= relative)
            throw new XunitException(
                $"{what}: max abs error {maxDiff:E3}, mean abs error {meanDiff:E3}, scale {scale:E3}, " +
                $"relative {maxDiff / scale:E3} (limit {relative:E1}){(finite ? "" : ", NON-FINITE values")}");
    }
}
