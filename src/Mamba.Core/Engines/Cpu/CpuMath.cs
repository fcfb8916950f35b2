using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Mamba.Core.Engines.Cpu;

/// <summary>
/// Element functions of the CPU engine with one fixed sequence of IEEE operations, so every
/// machine computes the same bits. Each is written once over <see cref="IFloatLanes{TSelf}"/>
/// (fused multiply-adds throughout, exactly rounded in hardware or emulated), so the scalar,
/// Vector256 and Vector512 forms are lane for lane equal; the public overloads are shims over it.
/// NOTE: MathF.Exp / MathF.Log call the platform's C library, whose last bit differs between
/// systems, so they are not used on the generation path.
/// </summary>
public static class CpuMath
{
    // Cephes expf: exp(x) = 2^k * p(r), k = floor(x log2(e) + 1/2), r = x - k ln2 (two-part ln2).
    private const float ExpHi = 88.0f, ExpLo = -87.0f;   // keeps 2^k a normal float: k in -125..127
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
        P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /// <summary>e^x for x clamped to [-87, 88]; relative error about 1e-7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Exp<T>(T x) where T : unmanaged, IFloatLanes<T> => ExpOfClamped(T.Clamp(x, ExpLo, ExpHi));

    /// <summary>
    /// e^x for x &lt;= 0 or NaN, where the upper clamp of <see cref="Exp{T}"/> never acts: the same
    /// bits for one instruction less. For the SSM's exp(delta A) (delta = softplus >= 0, A = -exp(A_log)
    /// &lt;= 0) and softplus's exp(-|x|).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ExpOfNonPositive<T>(T x) where T : unmanaged, IFloatLanes<T> => ExpOfClamped(T.AtLeast(x, ExpLo));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ExpOfClamped<T>(T x) where T : unmanaged, IFloatLanes<T>
    {
        var k = T.Floor(T.Fma(x, T.Splat(Log2E), T.Splat(0.5f)));
        var r = T.Fma(k, T.Splat(-Ln2Hi), x);
        r = T.Fma(k, T.Splat(-Ln2Lo), r);
        var p = T.Fma(T.Splat(P0), r, T.Splat(P1));
        p = T.Fma(p, r, T.Splat(P2));
        p = T.Fma(p, r, T.Splat(P3));
        p = T.Fma(p, r, T.Splat(P4));
        p = T.Fma(p, r, T.Splat(P5));
        p = T.Fma(p, r * r, r + T.One);
        return T.TimesPow2(p, k);
    }

    /// <summary>
    /// ln(1 + e) for e in [0, 1]: 2 atanh(s) with s = e / (2 + e) in [0, 1/3], odd series to s^15
    /// (truncation below 2e-8 relative). Accurate for tiny e, unlike log(1 + e).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Log1pUnit<T>(T e) where T : unmanaged, IFloatLanes<T>
    {
        var s = e / (T.Splat(2f) + e);
        var s2 = s * s;
        var q = T.Fma(T.Splat(1f / 15f), s2, T.Splat(1f / 13f));
        q = T.Fma(q, s2, T.Splat(1f / 11f));
        q = T.Fma(q, s2, T.Splat(1f / 9f));
        q = T.Fma(q, s2, T.Splat(1f / 7f));
        q = T.Fma(q, s2, T.Splat(1f / 5f));
        q = T.Fma(q, s2, T.Splat(1f / 3f));
        q = T.Fma(q, s2, T.One);
        return T.Splat(2f) * s * q;
    }

    /// <summary>SiLU(x) = x / (1 + e^-x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Silu<T>(T x) where T : unmanaged, IFloatLanes<T> => x / (T.One + Exp(-x));

    /// <summary>softplus(x) = ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|); equals x above 20 as torch's does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Softplus<T>(T x) where T : unmanaged, IFloatLanes<T> => T.MaxZero(x) + Log1pUnit(ExpOfNonPositive(-T.Abs(x)));

    // Shims for callers outside the kernels (sampling, tests).
    /// <inheritdoc cref="Exp{T}(T)"/>
    public static float Exp(float x) => Exp(new Lanes1(x)).Value;
    /// <inheritdoc cref="Exp{T}(T)"/>
    public static Vector256<float> Exp(Vector256<float> x) => Exp(new Lanes8(x)).Value;
    /// <inheritdoc cref="Log1pUnit{T}(T)"/>
    public static float Log1pUnit(float e) => Log1pUnit(new Lanes1(e)).Value;
    /// <inheritdoc cref="Log1pUnit{T}(T)"/>
    public static Vector256<float> Log1pUnit(Vector256<float> e) => Log1pUnit(new Lanes8(e)).Value;
    /// <inheritdoc cref="Silu{T}(T)"/>
    public static float Silu(float x) => Silu(new Lanes1(x)).Value;
    /// <inheritdoc cref="Silu{T}(T)"/>
    public static Vector256<float> Silu(Vector256<float> x) => Silu(new Lanes8(x)).Value;
    /// <inheritdoc cref="Softplus{T}(T)"/>
    public static float Softplus(float x) => Softplus(new Lanes1(x)).Value;
    /// <inheritdoc cref="Softplus{T}(T)"/>
    public static Vector256<float> Softplus(Vector256<float> x) => Softplus(new Lanes8(x)).Value;

    /// <summary>
    /// Sum in a fixed order whatever the machine: element i goes to lane i mod 8, lanes are then
    /// added pairwise ((0+4)+(2+6)) + ((1+5)+(3+7)). The scalar path does the same additions.
    /// </summary>
    public static float Sum(ReadOnlySpan<float> x, bool simd = true)
    {
        Span<float> lanes = stackalloc float[8];
        int i = 0;
        if (simd && Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; i + 8 <= x.Length; i += 8) acc += Vector256.Create(x.Slice(i, 8));
            acc.CopyTo(lanes);
        }
        else lanes.Clear();
        for (; i + 8 <= x.Length; i += 8)
            for (int j = 0; j < 8; j++) lanes[j] += x[i + j];
        for (int j = 0; i < x.Length; i++, j++) lanes[j] += x[i];
        return ReduceLanes(lanes);
    }

    /// <summary>Sum of squares in the order of <see cref="Sum"/>.</summary>
    public static float SumOfSquares(ReadOnlySpan<float> x, bool simd = true)
    {
        Span<float> lanes = stackalloc float[8];
        int i = 0;
        if (simd && Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; i + 8 <= x.Length; i += 8)
            {
                var v = Vector256.Create(x.Slice(i, 8));
                acc = Vector256.FusedMultiplyAdd(v, v, acc);
            }
            acc.CopyTo(lanes);
        }
        else lanes.Clear();
        for (; i + 8 <= x.Length; i += 8)
            for (int j = 0; j < 8; j++) lanes[j] = MathF.FusedMultiplyAdd(x[i + j], x[i + j], lanes[j]);
        for (int j = 0; i < x.Length; i++, j++) lanes[j] = MathF.FusedMultiplyAdd(x[i], x[i], lanes[j]);
        return ReduceLanes(lanes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ReduceLanes(ReadOnlySpan<float> l) =>
        ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
}
