using Xunit.Sdk;

namespace Mamba.Testing;

/// <summary>Float array comparisons that print max and mean errors before failing (as Mamba.Training.Tests' TensorAssert does for tensors).</summary>
public static class ArrayAssert
{
    /// <summary>Passes when max|actual - expected| / max|expected| is below <paramref name="relative"/>.</summary>
    public static void Close(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double relative, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0, sumDiff = 0, scale = 1e-30;
        int worst = 0;
        bool finite = true;
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs((double)actual[i] - expected[i]);
            finite &= float.IsFinite(actual[i]);
            if (diff > maxDiff) { maxDiff = diff; worst = i; }
            sumDiff += diff;
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        if (!finite || maxDiff / scale >= relative)
            throw new XunitException(
                $"{what}: max abs error {maxDiff:E3} (at {worst}: {actual[worst]:G7} vs {expected[worst]:G7}), mean abs error {sumDiff / Math.Max(1, expected.Length):E3}, scale {scale:E3}, " +
                $"relative {maxDiff / scale:E3} (limit {relative:E1}){(finite ? "" : ", NON-FINITE values")}");
    }

    /// <summary>Bit-for-bit equality, reporting the first differing index.</summary>
    public static void SameBits(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(actual[i]) != BitConverter.SingleToInt32Bits(expected[i]))
                throw new XunitException($"{what}: first difference at {i}: {actual[i]:R} vs {expected[i]:R}");
    }
}
