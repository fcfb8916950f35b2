using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Mamba.Core.Engines.Cpu;

/// <summary>
/// Element functions of the CPU engine with one fixed sequence of IEEE operations, so every
/// machine computes the same bits: a scalar and a Vector256 form of each, lane for lane equal
/// (fused multiply-adds in both: <see cref="MathF.FusedMultiplyAdd"/> and
/// <see cref="Vector256.FusedMultiplyAdd(Vector256{float}, Vector256{float}, Vector256{float})"/>
/// are exactly rounded, in hardware or emulated). The Vector512 forms (used where the hardware has
/// them) are the same operations on 16 lanes, so they give the same bits too. NOTE: MathF.Exp / MathF.Log call the platform's
/// C library, whose last bit differs between systems, so they are not used on the generation path.
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
    public static float Exp(float x)
    {
        x = MathF.Min(MathF.Max(x, ExpLo), ExpHi);
        float k = MathF.Floor(MathF.FusedMultiplyAdd(x, Log2E, 0.5f));
        float r = MathF.FusedMultiplyAdd(k, -Ln2Hi, x);
        r = MathF.FusedMultiplyAdd(k, -Ln2Lo, r);
        float p = MathF.FusedMultiplyAdd(P0, r, P1);
        p = MathF.FusedMultiplyAdd(p, r, P2);
        p = MathF.FusedMultiplyAdd(p, r, P3);
        p = MathF.FusedMultiplyAdd(p, r, P4);
        p = MathF.FusedMultiplyAdd(p, r, P5);
        p = MathF.FusedMultiplyAdd(p, r * r, r + 1f);
        return p * BitConverter.Int32BitsToSingle(((int)k + 127) << 23);
    }

    /// <inheritdoc cref="Exp(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(ExpLo)), Vector256.Create(ExpHi));
        var k = Vector256.Floor(Vector256.FusedMultiplyAdd(x, Vector256.Create(Log2E), Vector256.Create(0.5f)));
        var r = Vector256.FusedMultiplyAdd(k, Vector256.Create(-Ln2Hi), x);
        r = Vector256.FusedMultiplyAdd(k, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        p = Vector256.FusedMultiplyAdd(p, r * r, r + Vector256<float>.One);
        var scale = Vector256.ShiftLeft(Vector256.ConvertToInt32(k) + Vector256.Create(127), 23).AsSingle();
        return p * scale;
    }

    /// <inheritdoc cref="Exp(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(ExpLo)), Vector512.Create(ExpHi));
        var k = Vector512.Floor(Vector512.FusedMultiplyAdd(x, Vector512.Create(Log2E), Vector512.Create(0.5f)));
        var r = Vector512.FusedMultiplyAdd(k, Vector512.Create(-Ln2Hi), x);
        r = Vector512.FusedMultiplyAdd(k, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P0), r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
        p = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        var scale = Vector512.ShiftLeft(Vector512.ConvertToInt32(k) + Vector512.Create(127), 23).AsSingle();
        return p * scale;
    }

    /// <summary>
    /// ln(1 + e) for e in [0, 1]: 2 atanh(s) with s = e / (2 + e) in [0, 1/3], odd series to s^15
    /// (truncation below 2e-8 relative). Accurate for tiny e, unlike log(1 + e).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Log1pUnit(float e)
    {
        float s = e / (2f + e), s2 = s * s;
        float q = MathF.FusedMultiplyAdd(1f / 15f, s2, 1f / 13f);
        q = MathF.FusedMultiplyAdd(q, s2, 1f / 11f);
        q = MathF.FusedMultiplyAdd(q, s2, 1f / 9f);
        q = MathF.FusedMultiplyAdd(q, s2, 1f / 7f);
        q = MathF.FusedMultiplyAdd(q, s2, 1f / 5f);
        q = MathF.FusedMultiplyAdd(q, s2, 1f / 3f);
        q = MathF.FusedMultiplyAdd(q, s2, 1f);
        return 2f * s * q;
    }

    /// <inheritdoc cref="Log1pUnit(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Log1pUnit(Vector256<float> e)
    {
        var s = e / (Vector256.Create(2f) + e);
        var s2 = s * s;
        var q = Vector256.FusedMultiplyAdd(Vector256.Create(1f / 15f), s2, Vector256.Create(1f / 13f));
        q = Vector256.FusedMultiplyAdd(q, s2, Vector256.Create(1f / 11f));
        q = Vector256.FusedMultiplyAdd(q, s2, Vector256.Create(1f / 9f));
        q = Vector256.FusedMultiplyAdd(q, s2, Vector256.Create(1f / 7f));
        q = Vector256.FusedMultiplyAdd(q, s2, Vector256.Create(1f / 5f));
        q = Vector256.FusedMultiplyAdd(q, s2, Vector256.Create(1f / 3f));
        q = Vector256.FusedMultiplyAdd(q, s2, Vector256<float>.One);
        return Vector256.Create(2f) * s * q;
    }

    /// <inheritdoc cref="Log1pUnit(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Log1pUnit(Vector512<float> e)
    {
        var s = e / (Vector512.Create(2f) + e);
        var s2 = s * s;
        var q = Vector512.FusedMultiplyAdd(Vector512.Create(1f / 15f), s2, Vector512.Create(1f / 13f));
        q = Vector512.FusedMultiplyAdd(q, s2, Vector512.Create(1f / 11f));
        q = Vector512.FusedMultiplyAdd(q, s2, Vector512.Create(1f / 9f));
        q = Vector512.FusedMultiplyAdd(q, s2, Vector512.Create(1f / 7f));
        q = Vector512.FusedMultiplyAdd(q, s2, Vector512.Create(1f / 5f));
        q = Vector512.FusedMultiplyAdd(q, s2, Vector512.Create(1f / 3f));
        q = Vector512.FusedMultiplyAdd(q, s2, Vector512<float>.One);
        return Vector512.Create(2f) * s * q;
    }

    /// <inheritdoc cref="Silu(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Silu(Vector512<float> x) => x / (Vector512<float>.One + Exp(-x));

    /// <inheritdoc cref="Softplus(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Softplus(Vector512<float> x) =>
        Vector512.Max(x, Vector512<float>.Zero) + Log1pUnit(Exp(-Vector512.Abs(x)));

    /// <summary>SiLU(x) = x / (1 + e^-x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Silu(float x) => x / (1f + Exp(-x));

    /// <inheritdoc cref="Silu(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Silu(Vector256<float> x) => x / (Vector256<float>.One + Exp(-x));

    /// <summary>softplus(x) = ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|); equals x above 20 as torch's does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Softplus(float x) => MathF.Max(x, 0f) + Log1pUnit(Exp(-MathF.Abs(x)));

    /// <inheritdoc cref="Softplus(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Softplus(Vector256<float> x) =>
        Vector256.Max(x, Vector256<float>.Zero) + Log1pUnit(Exp(-Vector256.Abs(x)));

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

    /// <summary>y[i] = e^(x[i]) for every i (vector body, scalar tail: the same bits either way).</summary>
    public static void Exp(ReadOnlySpan<float> x, Span<float> y, bool simd = true)
    {
        if (y.Length < x.Length) throw new ArgumentException("y is shorter than x.", nameof(y));
        int i = 0;
        if (simd && Vector256.IsHardwareAccelerated)
            for (; i + 8 <= x.Length; i += 8) Exp(Vector256.Create(x.Slice(i, 8))).CopyTo(y.Slice(i, 8));
        for (; i < x.Length; i++) y[i] = Exp(x[i]);
    }
}
