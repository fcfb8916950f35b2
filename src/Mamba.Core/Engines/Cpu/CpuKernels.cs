using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Mamba.Core.Engines.Cpu;

/// <summary>
/// The kernels of the CPU step, one per piece of math. Each has a Vector256 body (some a Vector512
/// one too) and a scalar twin that performs the same IEEE operations lane for lane; the width is
/// the engine's option (<see cref="CpuVectorWidth"/>, resolved), and tests check every width gives
/// the same bits. Two rules make the result independent of the vector
/// width, the number of streams batched together and the machine:
/// - element-wise work (and the column form of the mat-vec: y += x[c] * W^T[c, :]) never mixes lanes,
///   so each output is one chain of fused multiply-adds in input order;
/// - a reduction (dot products, sums of squares) accumulates element i into lane i mod 8 and adds the
///   eight lanes in the fixed tree of <see cref="CpuMath.Sum"/>.
/// Widths are multiples of 8 (<see cref="CpuWeights"/> pads them), so there are no tails.
/// Pointers: callers pin arrays once per call; shapes are in the glossary's letters, G = streams.
/// </summary>
public static unsafe class CpuKernels
{
    private static bool Vectors(CpuVectorWidth width) => width != CpuVectorWidth.Scalar && Vector256.IsHardwareAccelerated;

    private static bool Wide(CpuVectorWidth width) => width == CpuVectorWidth.Vector512 && Vector512.IsHardwareAccelerated;

    /// <summary>y = x * rsqrt(mean(x[..d]^2) + eps) * w over the padded width dp (padding is zero).</summary>
    public static void RmsNorm(float* x, float* w, float* y, int d, int dp, CpuVectorWidth simd)
    {
        float ss = CpuMath.SumOfSquares(new ReadOnlySpan<float>(x, dp), simd != CpuVectorWidth.Scalar);
        float scale = 1f / MathF.Sqrt(ss / d + (float)Model.MambaConfig.NormEpsilon);
        int i = 0;
        if (Vectors(simd))
        {
            var s = Vector256.Create(scale);
            for (; i < dp; i += 8) Vector256.Store(Vector256.Load(x + i) * s * Vector256.Load(w + i), y + i);
        }
        for (; i < dp; i++) y[i] = x[i] * scale * w[i];
    }

    /// <summary>x += y (the residual add).</summary>
    public static void Add(float* x, float* y, int n, CpuVectorWidth simd)
    {
        int i = 0;
        if (Vectors(simd)) for (; i < n; i += 8) Vector256.Store(Vector256.Load(x + i) + Vector256.Load(y + i), x + i);
        for (; i < n; i++) x[i] += y[i];
    }

    /// <summary>
    /// Column form, for many outputs: Y[g, o] = sum_c X[g, c] W^T[c, o], the sum a chain of FMAs in c order.
    /// wt: (cols, rows), rows a multiple of 8; X: (G, cols) with row stride xs; Y: (G, rows) with row stride ys.
    /// Four or more streams are blocked 4 x 16 outputs so each weight vector is loaded once per 4 streams.
    /// </summary>
    public static void MatMulColumns(float* wt, int cols, int rows, float* x, int xs, float* y, int ys, int streams, CpuVectorWidth simd)
    {
        if (!Vectors(simd))
        {
            for (int g = 0; g < streams; g++)
                for (int o = 0; o < rows; o++)
                {
                    float acc = 0f;
                    for (int c = 0; c < cols; c++) acc = MathF.FusedMultiplyAdd(x[g * xs + c], wt[c * rows + o], acc);
                    y[g * ys + o] = acc;
                }
            return;
        }
        if (streams < 4)
        {
            for (int g = 0; g < streams; g++) MatVecColumns(wt, cols, rows, x + g * xs, y + g * ys, simd);
            return;
        }
        int oo = 0;
        if (Wide(simd))
            for (; oo + 32 <= rows; oo += 32)
            {
                int g = 0;
                for (; g + 4 <= streams; g += 4) Block4x32(wt + oo, cols, rows, x + g * xs, xs, y + g * ys + oo, ys);
                for (; g < streams; g++)
                {
                    Block1x16(wt + oo, cols, rows, x + g * xs, y + g * ys + oo);
                    Block1x16(wt + oo + 16, cols, rows, x + g * xs, y + g * ys + oo + 16);
                }
            }
        for (; oo + 16 <= rows; oo += 16)
        {
            int g = 0;
            for (; g + 4 <= streams; g += 4) Block4x16(wt + oo, cols, rows, x + g * xs, xs, y + g * ys + oo, ys);
            for (; g < streams; g++) Block1x16(wt + oo, cols, rows, x + g * xs, y + g * ys + oo);
        }
        for (; oo < rows; oo += 8)
            for (int g = 0; g < streams; g++) Block1x8(wt + oo, cols, rows, x + g * xs, y + g * ys + oo);
    }

    /// <summary>One stream of <see cref="MatMulColumns"/>: 64 outputs at a time (8 independent FMA chains).</summary>
    public static void MatVecColumns(float* wt, int cols, int rows, float* x, float* y, CpuVectorWidth simd)
    {
        int o = 0;
        if (Wide(simd))
        {
            for (; o + 128 <= rows; o += 128)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default,
                                 a4 = default, a5 = default, a6 = default, a7 = default;
                float* w = wt + o;
                for (int c = 0; c < cols; c++, w += rows)
                {
                    var b = Vector512.Create(x[c]);
                    a0 = Vector512.FusedMultiplyAdd(b, Vector512.Load(w), a0);
                    a1 = Vector512.FusedMultiplyAdd(b, Vector512.Load(w + 16), a1);
                    a2 = Vector512.FusedMultiplyAdd(b, Vector512.Load(w + 32), a2);
                    a3 = Vector512.FusedMultiplyAdd(b, Vector512.Load(w + 48), a3);
                    a4 = Vector512.FusedMultiplyAdd(b, Vector512.Load(w + 64), a4);
                    a5 = Vector512.FusedMultiplyAdd(b, Vector512.Load(w + 80), a5);
                    a6 = Vector512.FusedMultiplyAdd(b, Vector512.Load(w + 96), a6);
                    a7 = Vector512.FusedMultiplyAdd(b, Vector512.Load(w + 112), a7);
                }
                a0.Store(y + o); a1.Store(y + o + 16); a2.Store(y + o + 32); a3.Store(y + o + 48);
                a4.Store(y + o + 64); a5.Store(y + o + 80); a6.Store(y + o + 96); a7.Store(y + o + 112);
            }
            for (; o + 64 <= rows; o += 64)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                float* w = wt + o;
                for (int c = 0; c < cols; c++, w += rows)
                {
                    var b = Vector512.Create(x[c]);
                    a0 = Vector512.FusedMultiplyAdd(b, Vector512.Load(w), a0);
                    a1 = Vector512.FusedMultiplyAdd(b, Vector512.Load(w + 16), a1);
                    a2 = Vector512.FusedMultiplyAdd(b, Vector512.Load(w + 32), a2);
                    a3 = Vector512.FusedMultiplyAdd(b, Vector512.Load(w + 48), a3);
                }
                a0.Store(y + o); a1.Store(y + o + 16); a2.Store(y + o + 32); a3.Store(y + o + 48);
            }
        }
        for (; o + 64 <= rows; o += 64)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default,
                             a4 = default, a5 = default, a6 = default, a7 = default;
            float* w = wt + o;
            for (int c = 0; c < cols; c++, w += rows)
            {
                var b = Vector256.Create(x[c]);
                a0 = Vector256.FusedMultiplyAdd(b, Vector256.Load(w), a0);
                a1 = Vector256.FusedMultiplyAdd(b, Vector256.Load(w + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(b, Vector256.Load(w + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(b, Vector256.Load(w + 24), a3);
                a4 = Vector256.FusedMultiplyAdd(b, Vector256.Load(w + 32), a4);
                a5 = Vector256.FusedMultiplyAdd(b, Vector256.Load(w + 40), a5);
                a6 = Vector256.FusedMultiplyAdd(b, Vector256.Load(w + 48), a6);
                a7 = Vector256.FusedMultiplyAdd(b, Vector256.Load(w + 56), a7);
            }
            a0.Store(y + o); a1.Store(y + o + 8); a2.Store(y + o + 16); a3.Store(y + o + 24);
            a4.Store(y + o + 32); a5.Store(y + o + 40); a6.Store(y + o + 48); a7.Store(y + o + 56);
        }
        for (; o + 32 <= rows; o += 32)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            float* w = wt + o;
            for (int c = 0; c < cols; c++, w += rows)
            {
                var b = Vector256.Create(x[c]);
                a0 = Vector256.FusedMultiplyAdd(b, Vector256.Load(w), a0);
                a1 = Vector256.FusedMultiplyAdd(b, Vector256.Load(w + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(b, Vector256.Load(w + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(b, Vector256.Load(w + 24), a3);
            }
            a0.Store(y + o); a1.Store(y + o + 8); a2.Store(y + o + 16); a3.Store(y + o + 24);
        }
        for (; o + 16 <= rows; o += 16) Block1x16(wt + o, cols, rows, x, y + o);
        for (; o < rows; o += 8) Block1x8(wt + o, cols, rows, x, y + o);
    }

    private static void Block4x16(float* wt, int cols, int rows, float* x, int xs, float* y, int ys)
    {
        Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default,
                         a20 = default, a21 = default, a30 = default, a31 = default;
        float* x0 = x, x1 = x + xs, x2 = x + 2 * xs, x3 = x + 3 * xs;
        float* w = wt;
        for (int c = 0; c < cols; c++, w += rows)
        {
            var w0 = Vector256.Load(w);
            var w1 = Vector256.Load(w + 8);
            var b = Vector256.Create(x0[c]);
            a00 = Vector256.FusedMultiplyAdd(b, w0, a00); a01 = Vector256.FusedMultiplyAdd(b, w1, a01);
            b = Vector256.Create(x1[c]);
            a10 = Vector256.FusedMultiplyAdd(b, w0, a10); a11 = Vector256.FusedMultiplyAdd(b, w1, a11);
            b = Vector256.Create(x2[c]);
            a20 = Vector256.FusedMultiplyAdd(b, w0, a20); a21 = Vector256.FusedMultiplyAdd(b, w1, a21);
            b = Vector256.Create(x3[c]);
            a30 = Vector256.FusedMultiplyAdd(b, w0, a30); a31 = Vector256.FusedMultiplyAdd(b, w1, a31);
        }
        a00.Store(y); a01.Store(y + 8);
        a10.Store(y + ys); a11.Store(y + ys + 8);
        a20.Store(y + 2 * ys); a21.Store(y + 2 * ys + 8);
        a30.Store(y + 3 * ys); a31.Store(y + 3 * ys + 8);
    }

    /// <summary>4 streams x 32 outputs in Vector512 (the same FMA chains as the Vector256 blocks).</summary>
    private static void Block4x32(float* wt, int cols, int rows, float* x, int xs, float* y, int ys)
    {
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default,
                         a20 = default, a21 = default, a30 = default, a31 = default;
        float* x0 = x, x1 = x + xs, x2 = x + 2 * xs, x3 = x + 3 * xs;
        float* w = wt;
        for (int c = 0; c < cols; c++, w += rows)
        {
            var w0 = Vector512.Load(w);
            var w1 = Vector512.Load(w + 16);
            var b = Vector512.Create(x0[c]);
            a00 = Vector512.FusedMultiplyAdd(b, w0, a00); a01 = Vector512.FusedMultiplyAdd(b, w1, a01);
            b = Vector512.Create(x1[c]);
            a10 = Vector512.FusedMultiplyAdd(b, w0, a10); a11 = Vector512.FusedMultiplyAdd(b, w1, a11);
            b = Vector512.Create(x2[c]);
            a20 = Vector512.FusedMultiplyAdd(b, w0, a20); a21 = Vector512.FusedMultiplyAdd(b, w1, a21);
            b = Vector512.Create(x3[c]);
            a30 = Vector512.FusedMultiplyAdd(b, w0, a30); a31 = Vector512.FusedMultiplyAdd(b, w1, a31);
        }
        a00.Store(y); a01.Store(y + 16);
        a10.Store(y + ys); a11.Store(y + ys + 16);
        a20.Store(y + 2 * ys); a21.Store(y + 2 * ys + 16);
        a30.Store(y + 3 * ys); a31.Store(y + 3 * ys + 16);
    }

    private static void Block1x16(float* wt, int cols, int rows, float* x, float* y)
    {
        Vector256<float> a0 = default, a1 = default;
        float* w = wt;
        for (int c = 0; c < cols; c++, w += rows)
        {
            var b = Vector256.Create(x[c]);
            a0 = Vector256.FusedMultiplyAdd(b, Vector256.Load(w), a0);
            a1 = Vector256.FusedMultiplyAdd(b, Vector256.Load(w + 8), a1);
        }
        a0.Store(y); a1.Store(y + 8);
    }

    private static void Block1x8(float* wt, int cols, int rows, float* x, float* y)
    {
        Vector256<float> a0 = default;
        float* w = wt;
        for (int c = 0; c < cols; c++, w += rows)
            a0 = Vector256.FusedMultiplyAdd(Vector256.Create(x[c]), Vector256.Load(w), a0);
        a0.Store(y);
    }

    /// <summary>
    /// Row (dot) form, for few outputs: Y[g, o] = W[o, :] . X[g, :] with element c in lane c mod 8 and
    /// the fixed lane tree. w: (rows, cols) row-major, cols a multiple of 8.
    /// </summary>
    public static void MatMulRows(float* w, int rows, int cols, float* x, int xs, float* y, int ys, int streams, CpuVectorWidth simd)
    {
        bool vectors = Vectors(simd);
        float* lanes = stackalloc float[8];
        for (int g = 0; g < streams; g++)
        {
            float* xg = x + g * xs, yg = y + g * ys;
            if (!vectors)
            {
                for (int o = 0; o < rows; o++)
                {
                    for (int j = 0; j < 8; j++) lanes[j] = 0f;
                    float* wo = w + o * cols;
                    for (int c = 0; c < cols; c += 8)
                        for (int j = 0; j < 8; j++) lanes[j] = MathF.FusedMultiplyAdd(wo[c + j], xg[c + j], lanes[j]);
                    yg[o] = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
                }
                continue;
            }
            int r = 0;
            for (; r + 4 <= rows; r += 4)
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                float* w0 = w + r * cols, w1 = w0 + cols, w2 = w1 + cols, w3 = w2 + cols;
                for (int c = 0; c < cols; c += 8)
                {
                    var xv = Vector256.Load(xg + c);
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w0 + c), xv, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.Load(w1 + c), xv, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.Load(w2 + c), xv, a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.Load(w3 + c), xv, a3);
                }
                yg[r] = Reduce(a0); yg[r + 1] = Reduce(a1); yg[r + 2] = Reduce(a2); yg[r + 3] = Reduce(a3);
            }
            for (; r < rows; r++)
            {
                Vector256<float> a0 = default;
                float* w0 = w + r * cols;
                for (int c = 0; c < cols; c += 8)
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w0 + c), Vector256.Load(xg + c), a0);
                yg[r] = Reduce(a0);
            }
        }
    }

    /// <summary>((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)), the order of <see cref="CpuMath.Sum"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Reduce(Vector256<float> v)
    {
        var s = v.GetLower() + v.GetUpper();                       // (l0+l4, l1+l5, l2+l6, l3+l7)
        var t = s + Vector128.Shuffle(s, Vector128.Create(2, 3, 0, 1));
        return t.GetElement(0) + t.GetElement(1);
    }

    /// <summary>
    /// Causal depthwise conv, one step, then SiLU: the window (k, d_in) shifts left by one, x enters as
    /// the newest tap, y = SiLU(b + sum_j w[j] * window[j]) (FMAs from the oldest tap).
    /// </summary>
    public static void ConvStep(float* window, float* w, float* b, float* x, float* y, int k, int dInP, CpuVectorWidth simd)
    {
        int i = 0;
        if (Vectors(simd))
        {
            for (; i < dInP; i += 8)
            {
                var acc = Vector256.Load(b + i);
                for (int j = 0; j < k - 1; j++)
                {
                    var v = Vector256.Load(window + (j + 1) * dInP + i);
                    v.Store(window + j * dInP + i);
                    acc = Vector256.FusedMultiplyAdd(Vector256.Load(w + j * dInP + i), v, acc);
                }
                var xv = Vector256.Load(x + i);
                xv.Store(window + (k - 1) * dInP + i);
                acc = Vector256.FusedMultiplyAdd(Vector256.Load(w + (k - 1) * dInP + i), xv, acc);
                CpuMath.Silu(acc).Store(y + i);
            }
        }
        for (; i < dInP; i++)
        {
            float acc = b[i];
            for (int j = 0; j < k - 1; j++)
            {
                float v = window[(j + 1) * dInP + i];
                window[j * dInP + i] = v;
                acc = MathF.FusedMultiplyAdd(w[j * dInP + i], v, acc);
            }
            window[(k - 1) * dInP + i] = x[i];
            acc = MathF.FusedMultiplyAdd(w[(k - 1) * dInP + i], x[i], acc);
            y[i] = CpuMath.Silu(acc);
        }
    }

    /// <summary>
    /// The selective SSM, one step, fused with dt_proj and the gate. Per channel i:
    /// delta = softplus(dt_bias + sum_r dt[r] W_dt^T[r, i]); for each state j:
    /// h[j, i] = exp(delta A[j, i]) h[j, i] + delta x B[j]; y = sum_j C[j] h[j, i] + D x; out = y SiLU(z).
    /// h: (n, d_in) updated in place; xDbl: (r + 2n) = (dt, B, C) from x_proj.
    /// </summary>
    public static void SsmStep(float* h, float* a, float* dSkip, float* dtT, float* dtBias, float* xDbl, int r, int n,
        float* x, float* z, float* y, int dInP, CpuVectorWidth simd)
    {
        float* bIn = xDbl + r, cIn = xDbl + r + n;
        int i = 0;
        if (Wide(simd))
        {
            for (; i + 16 <= dInP; i += 16)
            {
                var dt = Vector512.Load(dtBias + i);
                for (int q = 0; q < r; q++) dt = Vector512.FusedMultiplyAdd(Vector512.Create(xDbl[q]), Vector512.Load(dtT + q * dInP + i), dt);
                var delta = CpuMath.Softplus(dt);
                var xv = Vector512.Load(x + i);
                var dx = delta * xv;
                var acc = Vector512<float>.Zero;
                float* hi = h + i, ai = a + i;
                for (int j = 0; j < n; j++, hi += dInP, ai += dInP)
                {
                    var dA = CpuMath.Exp(delta * Vector512.Load(ai));
                    var hv = Vector512.FusedMultiplyAdd(dA, Vector512.Load(hi), dx * Vector512.Create(bIn[j]));
                    hv.Store(hi);
                    acc = Vector512.FusedMultiplyAdd(Vector512.Create(cIn[j]), hv, acc);
                }
                acc = Vector512.FusedMultiplyAdd(Vector512.Load(dSkip + i), xv, acc);
                (acc * CpuMath.Silu(Vector512.Load(z + i))).Store(y + i);
            }
        }
        if (Vectors(simd))
        {
            for (; i < dInP; i += 8)
            {
                var dt = Vector256.Load(dtBias + i);
                for (int q = 0; q < r; q++) dt = Vector256.FusedMultiplyAdd(Vector256.Create(xDbl[q]), Vector256.Load(dtT + q * dInP + i), dt);
                var delta = CpuMath.Softplus(dt);
                var xv = Vector256.Load(x + i);
                var dx = delta * xv;
                var acc = Vector256<float>.Zero;
                float* hi = h + i, ai = a + i;
                for (int j = 0; j < n; j++, hi += dInP, ai += dInP)
                {
                    var dA = CpuMath.Exp(delta * Vector256.Load(ai));
                    var hv = Vector256.FusedMultiplyAdd(dA, Vector256.Load(hi), dx * Vector256.Create(bIn[j]));
                    hv.Store(hi);
                    acc = Vector256.FusedMultiplyAdd(Vector256.Create(cIn[j]), hv, acc);
                }
                acc = Vector256.FusedMultiplyAdd(Vector256.Load(dSkip + i), xv, acc);
                (acc * CpuMath.Silu(Vector256.Load(z + i))).Store(y + i);
            }
        }
        for (; i < dInP; i++)
        {
            float dt = dtBias[i];
            for (int q = 0; q < r; q++) dt = MathF.FusedMultiplyAdd(xDbl[q], dtT[q * dInP + i], dt);
            float delta = CpuMath.Softplus(dt);
            float xv = x[i], dx = delta * xv, acc = 0f;
            for (int j = 0; j < n; j++)
            {
                float dA = CpuMath.Exp(delta * a[j * dInP + i]);
                float hv = MathF.FusedMultiplyAdd(dA, h[j * dInP + i], dx * bIn[j]);
                h[j * dInP + i] = hv;
                acc = MathF.FusedMultiplyAdd(cIn[j], hv, acc);
            }
            acc = MathF.FusedMultiplyAdd(dSkip[i], xv, acc);
            y[i] = acc * CpuMath.Silu(z[i]);
        }
    }
}
