using System.Runtime.Intrinsics;
using Mamba.Core.Engines.Cpu;

namespace Mamba.Core.Tests.Engines;

public class CpuMathTests
{
    private static IEnumerable<float> Points(float lo, float hi, int count)
    {
        for (int i = 0; i < count; i++) yield return lo + (hi - lo) * i / (count - 1);
    }

    [Fact]
    public void Exp_IsWithin2e7RelativeOfTheTrueValue()
    {
        double worst = 0;
        foreach (float x in Points(-87f, 88f, 200_001))
        {
            double e = Math.Exp(x), err = Math.Abs(CpuMath.Exp(x) - e) / e;
            worst = Math.Max(worst, err);
        }
        Assert.True(worst < 2e-7, $"worst relative error {worst:E3}");
    }

    [Fact]
    public void Log1pUnit_IsWithin3e7OfTheTrueValue()
    {
        double worst = 0;
        foreach (float e in Points(0f, 1f, 100_001).Concat(new[] { 1e-30f, 1e-10f, 1e-5f }))
        {
            double t = e < 1e-4 ? e - (double)e * e / 2 + (double)e * e * e / 3 : Math.Log(1 + (double)e), err = Math.Abs(CpuMath.Log1pUnit(e) - t) / Math.Max(t, 1e-38);
            worst = Math.Max(worst, err);
        }
        Assert.True(worst < 3e-7, $"worst relative error {worst:E3}");
    }

    [Fact]
    public void SiluAndSoftplus_MatchDoublePrecision()
    {
        foreach (float x in Points(-30f, 30f, 60_001))
        {
            double silu = x / (1 + Math.Exp(-x));
            double softplus = Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));
            Assert.True(Math.Abs(CpuMath.Silu(x) - silu) <= 3e-7 * Math.Max(Math.Abs(silu), 1e-3), $"silu({x})");
            Assert.True(Math.Abs(CpuMath.Softplus(x) - softplus) <= 3e-7 * Math.Max(softplus, 1e-3), $"softplus({x})");
        }
    }

    [Fact]
    public void VectorAndScalarForms_GiveTheSameBits()
    {
        Assert.SkipUnless(Vector256.IsHardwareAccelerated, "no Vector256 hardware");
        var random = new Random(11);
        var xs = new float[8];
        for (int trial = 0; trial < 20_000; trial++)
        {
            for (int i = 0; i < 8; i++) xs[i] = (float)(random.NextDouble() * 200 - 100);
            var v = Vector256.Create(xs);
            var exp = CpuMath.Exp(v);
            var silu = CpuMath.Silu(v);
            var softplus = CpuMath.Softplus(v);
            var log1p = CpuMath.Log1pUnit(Vector256.Abs(v) / Vector256.Create(100f));
            for (int i = 0; i < 8; i++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(CpuMath.Exp(xs[i])), BitConverter.SingleToInt32Bits(exp[i]));
                Assert.Equal(BitConverter.SingleToInt32Bits(CpuMath.Silu(xs[i])), BitConverter.SingleToInt32Bits(silu[i]));
                Assert.Equal(BitConverter.SingleToInt32Bits(CpuMath.Softplus(xs[i])), BitConverter.SingleToInt32Bits(softplus[i]));
                Assert.Equal(BitConverter.SingleToInt32Bits(CpuMath.Log1pUnit(MathF.Abs(xs[i]) / 100f)), BitConverter.SingleToInt32Bits(log1p[i]));
            }
        }
    }

    /// <summary>
    /// The exp of every width against the scalar one (a multiply by 2^k built from its bits), on
    /// fresh random arguments and the edges: both clamps, where k changes, the smallest results,
    /// signed zeros, infinities and NaN. The vector forms scale by vscalefps where AVX-512 has it.
    /// </summary>
    [Fact]
    public void Exp_OfEveryWidth_AndOfNonPositiveArguments_GivesTheScalarBits()
    {
        var random = new Random(Environment.TickCount);
        var xs = new List<float> { 0f, -0f, float.NaN, float.NegativeInfinity, float.PositiveInfinity, -87f, 88f, -200f, 200f,
            float.Epsilon, -float.Epsilon, float.MinValue, float.MaxValue };
        xs.AddRange(Points(-88f, -86f, 4001));
        xs.AddRange(Points(86f, 89f, 3001));
        for (int k = -127; k <= 128; k++) { float at = (k - 0.5f) * MathF.Log(2f); xs.Add(at); xs.Add(BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(at) + 1)); }
        for (int i = 0; i < 100_000; i++) xs.Add((float)(random.NextDouble() * 200 - 100));
        while (xs.Count % 16 != 0) xs.Add(0f);
        var x = xs.ToArray();
        var exp8 = new float[x.Length];
        var exp16 = new float[x.Length];
        unsafe
        {
            fixed (float* px = x, p8 = exp8, p16 = exp16)
                for (int i = 0; i < x.Length; i += 16)
                {
                    if (Vector256.IsHardwareAccelerated)
                    {
                        CpuMath.Exp(Lanes8.Load(px + i)).Store(p8 + i);
                        CpuMath.Exp(Lanes8.Load(px + i + 8)).Store(p8 + i + 8);
                    }
                    if (Vector512.IsHardwareAccelerated) CpuMath.Exp(Lanes16.Load(px + i)).Store(p16 + i);
                }
        }
        for (int i = 0; i < x.Length; i++)
        {
            int scalar = BitConverter.SingleToInt32Bits(CpuMath.Exp(x[i]));
            if (Vector256.IsHardwareAccelerated) Assert.True(scalar == BitConverter.SingleToInt32Bits(exp8[i]), $"Vector256 exp({x[i]:R}) = {exp8[i]:R}, scalar {CpuMath.Exp(x[i]):R}");
            if (Vector512.IsHardwareAccelerated) Assert.True(scalar == BitConverter.SingleToInt32Bits(exp16[i]), $"Vector512 exp({x[i]:R}) = {exp16[i]:R}, scalar {CpuMath.Exp(x[i]):R}");
            if (!(x[i] <= 0f) && !float.IsNaN(x[i])) continue;
            Assert.True(scalar == BitConverter.SingleToInt32Bits(CpuMath.ExpOfNonPositive(new Lanes1(x[i])).Value), $"ExpOfNonPositive({x[i]:R})");
            if (Vector512.IsHardwareAccelerated)
                Assert.True(scalar == BitConverter.SingleToInt32Bits(CpuMath.ExpOfNonPositive(new Lanes16(Vector512.Create(x[i]))).Value[3]), $"Vector512 ExpOfNonPositive({x[i]:R})");
        }
    }

    [Fact]
    public void Sum_IsTheSameWithAndWithoutVectors()
    {
        var random = new Random(5);
        foreach (int length in new[] { 1, 7, 8, 9, 64, 255, 256, 1000 })
        {
            var x = Enumerable.Range(0, length).Select(_ => (float)random.NextDouble()).ToArray();
            Assert.Equal(CpuMath.Sum(x, simd: false), CpuMath.Sum(x, simd: true));
            Assert.Equal(CpuMath.SumOfSquares(x, simd: false), CpuMath.SumOfSquares(x, simd: true));
            Assert.Equal(x.Sum(v => (double)v), CpuMath.Sum(x), 3);
        }
    }
}
