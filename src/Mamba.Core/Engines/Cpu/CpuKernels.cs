using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Mamba.Core.Engines.Cpu;

/// <summary>
/// The kernels of the CPU step, one per piece of math, each written once over
/// <see cref="IFloatLanes{TSelf}"/> and run by one driver (<see cref="Drive"/>) that takes the
/// widest lanes the engine's <see cref="CpuVectorWidth"/> allows, then narrower ones, then the scalar
/// lanes on what is left, as System.Numerics.Tensors' operators do. Tests check every width gives
/// the same bits. (MatMulRows keeps its own Vector256 body: its reduction order is fixed at 8 lanes.) Two rules make the result independent of the vector
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

    /// <summary>
    /// Runs <paramref name="kernel"/> over [0, length): the widest lanes the width allows first,
    /// then each narrower one on what is left, scalar last. Each step of the kernel covers
    /// T.Count channels and returns where it stopped.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Drive<TKernel>(ref TKernel kernel, int length, CpuVectorWidth width) where TKernel : struct, ILaneKernel
    {
        int i = 0;
        if (Wide(width)) i = kernel.Run<Lanes16>(i, length);
        if (Vectors(width)) i = kernel.Run<Lanes8>(i, length);
        kernel.Run<Lanes1>(i, length);
    }

    /// <summary>
    /// A kernel body written once over lanes: processes [from, to) in steps of T.Count and returns
    /// where it stopped. Each implementation is a struct carrying the kernel's arguments; its Run
    /// hands them to a static Body as parameters, so the JIT keeps them in registers (fields read
    /// through `this` would be reloaded after every store through a float*). Bodies are compiled
    /// fully optimised once and never inlined (NoInlining | AggressiveOptimization): inlined into a
    /// tier-1 caller under dynamic PGO, the Vector512 bodies measured 5x slower (22k against 110k
    /// samples/s for small, one stream); one call per kernel and width costs nothing measurable.
    /// </summary>
    private interface ILaneKernel
    {
        int Run<T>(int from, int to) where T : unmanaged, IFloatLanes<T>;
    }

    /// <summary>y = x * rsqrt(mean(x[..d]^2) + eps) * w over the padded width dp (padding is zero).</summary>
    public static void RmsNorm(float* x, float* w, float* y, int d, int dp, CpuVectorWidth simd)
    {
        float ss = CpuMath.SumOfSquares(new ReadOnlySpan<float>(x, dp), simd != CpuVectorWidth.Scalar);
        var kernel = new ScaleKernel(x, w, y, 1f / MathF.Sqrt(ss / d + (float)Model.MambaConfig.NormEpsilon));
        Drive(ref kernel, dp, simd);
    }

    private readonly struct ScaleKernel(float* x, float* w, float* y, float scale) : ILaneKernel
    {
        public int Run<T>(int from, int to) where T : unmanaged, IFloatLanes<T> => Body<T>(from, to, x, w, y, scale);

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static int Body<T>(int i, int to, float* x, float* w, float* y, float scale) where T : unmanaged, IFloatLanes<T>
        {
        var s = T.Splat(scale);
        for (; i + T.Count <= to; i += T.Count) (T.Load(x + i) * s * T.Load(w + i)).Store(y + i);
        return i;
        }
    }

    /// <summary>x += y (the residual add).</summary>
    public static void Add(float* x, float* y, int n, CpuVectorWidth simd)
    {
        var kernel = new AddKernel(x, y);
        Drive(ref kernel, n, simd);
    }

    private readonly struct AddKernel(float* x, float* y) : ILaneKernel
    {
        public int Run<T>(int from, int to) where T : unmanaged, IFloatLanes<T> => Body<T>(from, to, x, y);

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static int Body<T>(int i, int to, float* x, float* y) where T : unmanaged, IFloatLanes<T>
        {
        for (; i + T.Count <= to; i += T.Count) (T.Load(x + i) + T.Load(y + i)).Store(x + i);
        return i;
        }
    }

    /// <summary>
    /// Column form, for many outputs: Y[g, o] = sum_c X[g, c] W^T[c, o], the sum a chain of FMAs in c order.
    /// wt: (cols, rows), rows a multiple of 8; X: (G, cols) with row stride xs; Y: (G, rows) with row stride ys.
    /// Two or more streams are blocked 4 streams x 2 vectors of outputs (the last 1-3 streams as
    /// one smaller block), so each weight vector is loaded once per 4 streams. One stream alone
    /// runs 8 chains of its own (<see cref="MatVecColumns"/>); for 2 and 3 streams the blocks
    /// measured 3-20% faster than that. Every output is one FMA chain whatever the blocking, so the
    /// blocking and the width never change the bits.
    /// </summary>
    public static void MatMulColumns(float* wt, int cols, int rows, float* x, int xs, float* y, int ys, int streams, CpuVectorWidth simd)
    {
        if (streams < 2)
        {
            for (int g = 0; g < streams; g++) MatVecColumns(wt, cols, rows, x + g * xs, y + g * ys, simd);
            return;
        }
        var kernel = new ColumnsKernel(wt, cols, rows, x, xs, y, ys, streams);
        Drive(ref kernel, rows, simd);
    }

    /// <summary>One stream of <see cref="MatMulColumns"/>: up to 8 independent FMA chains of vectors at a time.</summary>
    public static void MatVecColumns(float* wt, int cols, int rows, float* x, float* y, CpuVectorWidth simd)
    {
        var kernel = new ColumnsKernel(wt, cols, rows, x, 0, y, 0, 1);
        Drive(ref kernel, rows, simd);
    }

    private readonly struct ColumnsKernel(float* wt, int cols, int rows, float* x, int xs, float* y, int ys, int streams) : ILaneKernel
    {
        public int Run<T>(int from, int to) where T : unmanaged, IFloatLanes<T> => Body<T>(from, to, wt, cols, rows, x, xs, y, ys, streams);

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static int Body<T>(int o, int to, float* wt, int cols, int rows, float* x, int xs, float* y, int ys, int streams) where T : unmanaged, IFloatLanes<T>
        {
        int n = T.Count;
        if (streams == 1)
        {
            for (; o + 8 * n <= to; o += 8 * n) Columns8<T>(wt + o, cols, rows, x, y + o);
            for (; o + 4 * n <= to; o += 4 * n) Columns4<T>(wt + o, cols, rows, x, y + o);
            for (; o + n <= to; o += n) Columns1<T>(wt + o, cols, rows, x, y + o);
            return o;
        }
        for (; o + 2 * n <= to; o += 2 * n)
        {
            int g = 0;
            for (; g + 4 <= streams; g += 4) Block4x2<T>(wt + o, cols, rows, x + g * xs, xs, y + g * ys + o, ys);
            // The last 1-3 streams also share each weight load: as single streams they measured
            // 82k samples/s for 7 small streams on one core against 96k for 8.
            switch (streams - g)
            {
                case 3: Block3x2<T>(wt + o, cols, rows, x + g * xs, xs, y + g * ys + o, ys); break;
                case 2: Block2x2<T>(wt + o, cols, rows, x + g * xs, xs, y + g * ys + o, ys); break;
                case 1: Block1x2<T>(wt + o, cols, rows, x + g * xs, y + g * ys + o); break;
            }
        }
        for (; o + n <= to; o += n)
            for (int g = 0; g < streams; g++) Columns1<T>(wt + o, cols, rows, x + g * xs, y + g * ys + o);
        return o;
        }
    }

    /// <summary>8 vectors of outputs for one stream: 8 independent FMA chains keep the FMA units busy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Columns8<T>(float* wt, int cols, int rows, float* x, float* y) where T : unmanaged, IFloatLanes<T>
    {
        int n = T.Count;
        T a0 = T.Zero, a1 = T.Zero, a2 = T.Zero, a3 = T.Zero, a4 = T.Zero, a5 = T.Zero, a6 = T.Zero, a7 = T.Zero;
        float* w = wt;
        for (int c = 0; c < cols; c++, w += rows)
        {
            var b = T.Splat(x[c]);
            a0 = T.Fma(b, T.Load(w), a0);
            a1 = T.Fma(b, T.Load(w + n), a1);
            a2 = T.Fma(b, T.Load(w + 2 * n), a2);
            a3 = T.Fma(b, T.Load(w + 3 * n), a3);
            a4 = T.Fma(b, T.Load(w + 4 * n), a4);
            a5 = T.Fma(b, T.Load(w + 5 * n), a5);
            a6 = T.Fma(b, T.Load(w + 6 * n), a6);
            a7 = T.Fma(b, T.Load(w + 7 * n), a7);
        }
        a0.Store(y); a1.Store(y + n); a2.Store(y + 2 * n); a3.Store(y + 3 * n);
        a4.Store(y + 4 * n); a5.Store(y + 5 * n); a6.Store(y + 6 * n); a7.Store(y + 7 * n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Columns4<T>(float* wt, int cols, int rows, float* x, float* y) where T : unmanaged, IFloatLanes<T>
    {
        int n = T.Count;
        T a0 = T.Zero, a1 = T.Zero, a2 = T.Zero, a3 = T.Zero;
        float* w = wt;
        for (int c = 0; c < cols; c++, w += rows)
        {
            var b = T.Splat(x[c]);
            a0 = T.Fma(b, T.Load(w), a0);
            a1 = T.Fma(b, T.Load(w + n), a1);
            a2 = T.Fma(b, T.Load(w + 2 * n), a2);
            a3 = T.Fma(b, T.Load(w + 3 * n), a3);
        }
        a0.Store(y); a1.Store(y + n); a2.Store(y + 2 * n); a3.Store(y + 3 * n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Columns1<T>(float* wt, int cols, int rows, float* x, float* y) where T : unmanaged, IFloatLanes<T>
    {
        T a0 = T.Zero;
        float* w = wt;
        for (int c = 0; c < cols; c++, w += rows) a0 = T.Fma(T.Splat(x[c]), T.Load(w), a0);
        a0.Store(y);
    }

    /// <summary>4 streams x 2 vectors of outputs: each weight vector loaded once for the 4 streams.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Block4x2<T>(float* wt, int cols, int rows, float* x, int xs, float* y, int ys) where T : unmanaged, IFloatLanes<T>
    {
        int n = T.Count;
        T a00 = T.Zero, a01 = T.Zero, a10 = T.Zero, a11 = T.Zero, a20 = T.Zero, a21 = T.Zero, a30 = T.Zero, a31 = T.Zero;
        float* x0 = x, x1 = x + xs, x2 = x + 2 * xs, x3 = x + 3 * xs;
        float* w = wt;
        for (int c = 0; c < cols; c++, w += rows)
        {
            var w0 = T.Load(w);
            var w1 = T.Load(w + n);
            var b = T.Splat(x0[c]);
            a00 = T.Fma(b, w0, a00); a01 = T.Fma(b, w1, a01);
            b = T.Splat(x1[c]);
            a10 = T.Fma(b, w0, a10); a11 = T.Fma(b, w1, a11);
            b = T.Splat(x2[c]);
            a20 = T.Fma(b, w0, a20); a21 = T.Fma(b, w1, a21);
            b = T.Splat(x3[c]);
            a30 = T.Fma(b, w0, a30); a31 = T.Fma(b, w1, a31);
        }
        a00.Store(y); a01.Store(y + n);
        a10.Store(y + ys); a11.Store(y + ys + n);
        a20.Store(y + 2 * ys); a21.Store(y + 2 * ys + n);
        a30.Store(y + 3 * ys); a31.Store(y + 3 * ys + n);
    }

    /// <summary>3 streams x 2 vectors of outputs (the tail of <see cref="Block4x2{T}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Block3x2<T>(float* wt, int cols, int rows, float* x, int xs, float* y, int ys) where T : unmanaged, IFloatLanes<T>
    {
        int n = T.Count;
        T a00 = T.Zero, a01 = T.Zero, a10 = T.Zero, a11 = T.Zero, a20 = T.Zero, a21 = T.Zero;
        float* x0 = x, x1 = x + xs, x2 = x + 2 * xs;
        float* w = wt;
        for (int c = 0; c < cols; c++, w += rows)
        {
            var w0 = T.Load(w);
            var w1 = T.Load(w + n);
            var b = T.Splat(x0[c]);
            a00 = T.Fma(b, w0, a00); a01 = T.Fma(b, w1, a01);
            b = T.Splat(x1[c]);
            a10 = T.Fma(b, w0, a10); a11 = T.Fma(b, w1, a11);
            b = T.Splat(x2[c]);
            a20 = T.Fma(b, w0, a20); a21 = T.Fma(b, w1, a21);
        }
        a00.Store(y); a01.Store(y + n);
        a10.Store(y + ys); a11.Store(y + ys + n);
        a20.Store(y + 2 * ys); a21.Store(y + 2 * ys + n);
    }

    /// <summary>2 streams x 2 vectors of outputs (the tail of <see cref="Block4x2{T}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Block2x2<T>(float* wt, int cols, int rows, float* x, int xs, float* y, int ys) where T : unmanaged, IFloatLanes<T>
    {
        int n = T.Count;
        T a00 = T.Zero, a01 = T.Zero, a10 = T.Zero, a11 = T.Zero;
        float* x0 = x, x1 = x + xs;
        float* w = wt;
        for (int c = 0; c < cols; c++, w += rows)
        {
            var w0 = T.Load(w);
            var w1 = T.Load(w + n);
            var b = T.Splat(x0[c]);
            a00 = T.Fma(b, w0, a00); a01 = T.Fma(b, w1, a01);
            b = T.Splat(x1[c]);
            a10 = T.Fma(b, w0, a10); a11 = T.Fma(b, w1, a11);
        }
        a00.Store(y); a01.Store(y + n);
        a10.Store(y + ys); a11.Store(y + ys + n);
    }

    /// <summary>1 stream x 2 vectors of outputs (the tail of <see cref="Block4x2{T}"/>): one pass over the weights, not two.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Block1x2<T>(float* wt, int cols, int rows, float* x, float* y) where T : unmanaged, IFloatLanes<T>
    {
        int n = T.Count;
        T a0 = T.Zero, a1 = T.Zero;
        float* w = wt;
        for (int c = 0; c < cols; c++, w += rows)
        {
            var b = T.Splat(x[c]);
            a0 = T.Fma(b, T.Load(w), a0);
            a1 = T.Fma(b, T.Load(w + n), a1);
        }
        a0.Store(y); a1.Store(y + n);
    }

    /// <summary>
    /// Row (dot) form, for few outputs: Y[g, o] = W[o, :] . X[g, :] with element c in lane c mod 8 and
    /// the fixed lane tree. w: (rows, cols) row-major, cols a multiple of 8.
    /// </summary>
    public static void MatMulRows(float* w, int rows, int cols, float* x, int xs, float* y, int ys, int streams, CpuVectorWidth simd)
    {
        bool vectors = Vectors(simd);
        float* lanes = stackalloc float[8];
        int g = 0;
        // Two streams at a time share each weight load (one by one, x_proj was 7% of a 16-stream
        // step by perf, bound by loads); each output is still its own eight lane chains in c order.
        if (vectors)
            for (; g + 2 <= streams; g += 2) RowsOfTwo(w, rows, cols, x + g * xs, x + (g + 1) * xs, y + g * ys, y + (g + 1) * ys);
        for (; g < streams; g++)
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

    /// <summary><see cref="MatMulRows"/> for two streams: 4 rows x 2 streams of lane accumulators, each weight vector loaded once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsOfTwo(float* w, int rows, int cols, float* x0, float* x1, float* y0, float* y1)
    {
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
            float* w0 = w + r * cols, w1 = w0 + cols, w2 = w1 + cols, w3 = w2 + cols;
            for (int c = 0; c < cols; c += 8)
            {
                var u = Vector256.Load(x0 + c);
                var v = Vector256.Load(x1 + c);
                var k = Vector256.Load(w0 + c);
                a0 = Vector256.FusedMultiplyAdd(k, u, a0); b0 = Vector256.FusedMultiplyAdd(k, v, b0);
                k = Vector256.Load(w1 + c);
                a1 = Vector256.FusedMultiplyAdd(k, u, a1); b1 = Vector256.FusedMultiplyAdd(k, v, b1);
                k = Vector256.Load(w2 + c);
                a2 = Vector256.FusedMultiplyAdd(k, u, a2); b2 = Vector256.FusedMultiplyAdd(k, v, b2);
                k = Vector256.Load(w3 + c);
                a3 = Vector256.FusedMultiplyAdd(k, u, a3); b3 = Vector256.FusedMultiplyAdd(k, v, b3);
            }
            y0[r] = Reduce(a0); y0[r + 1] = Reduce(a1); y0[r + 2] = Reduce(a2); y0[r + 3] = Reduce(a3);
            y1[r] = Reduce(b0); y1[r + 1] = Reduce(b1); y1[r + 2] = Reduce(b2); y1[r + 3] = Reduce(b3);
        }
        for (; r < rows; r++)
        {
            Vector256<float> a0 = default, b0 = default;
            float* w0 = w + r * cols;
            for (int c = 0; c < cols; c += 8)
            {
                var k = Vector256.Load(w0 + c);
                a0 = Vector256.FusedMultiplyAdd(k, Vector256.Load(x0 + c), a0);
                b0 = Vector256.FusedMultiplyAdd(k, Vector256.Load(x1 + c), b0);
            }
            y0[r] = Reduce(a0);
            y1[r] = Reduce(b0);
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
        var kernel = new ConvKernel(window, w, b, x, y, k, dInP);
        Drive(ref kernel, dInP, simd);
    }

    private readonly struct ConvKernel(float* window, float* w, float* b, float* x, float* y, int k, int dInP) : ILaneKernel
    {
        public int Run<T>(int from, int to) where T : unmanaged, IFloatLanes<T> => Body<T>(from, to, window, w, b, x, y, k, dInP);

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static int Body<T>(int i, int to, float* window, float* w, float* b, float* x, float* y, int k, int dInP) where T : unmanaged, IFloatLanes<T>
        {
        for (; i + T.Count <= to; i += T.Count)
        {
            var acc = T.Load(b + i);
            for (int j = 0; j < k - 1; j++)
            {
                var v = T.Load(window + (j + 1) * dInP + i);
                v.Store(window + j * dInP + i);
                acc = T.Fma(T.Load(w + j * dInP + i), v, acc);
            }
            var xv = T.Load(x + i);
            xv.Store(window + (k - 1) * dInP + i);
            acc = T.Fma(T.Load(w + (k - 1) * dInP + i), xv, acc);
            CpuMath.Silu(acc).Store(y + i);
        }
        return i;
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
        var kernel = new SsmKernel(h, a, dSkip, dtT, dtBias, xDbl, r, n, x, z, y, dInP);
        Drive(ref kernel, dInP, simd);
    }

    private readonly struct SsmKernel(float* h, float* a, float* dSkip, float* dtT, float* dtBias, float* xDbl, int r, int n,
        float* x, float* z, float* y, int dInP) : ILaneKernel
    {
        public int Run<T>(int from, int to) where T : unmanaged, IFloatLanes<T> => Body<T>(from, to, h, a, dSkip, dtT, dtBias, xDbl, r, n, x, z, y, dInP);

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static int Body<T>(int i, int to, float* h, float* a, float* dSkip, float* dtT, float* dtBias, float* xDbl, int r, int n,
        float* x, float* z, float* y, int dInP) where T : unmanaged, IFloatLanes<T>
        {
        float* bIn = xDbl + r, cIn = xDbl + r + n;
        for (; i + T.Count <= to; i += T.Count)
        {
            var dt = T.Load(dtBias + i);
            for (int q = 0; q < r; q++) dt = T.Fma(T.Splat(xDbl[q]), T.Load(dtT + q * dInP + i), dt);
            var delta = CpuMath.Softplus(dt);
            var xv = T.Load(x + i);
            var dx = delta * xv;
            var acc = T.Zero;
            float* hi = h + i, ai = a + i;
            for (int j = 0; j < n; j++, hi += dInP, ai += dInP)
            {
                var dA = CpuMath.ExpOfNonPositive(delta * T.Load(ai));
                var hv = T.Fma(dA, T.Load(hi), dx * T.Splat(bIn[j]));
                hv.Store(hi);
                acc = T.Fma(T.Splat(cIn[j]), hv, acc);
            }
            acc = T.Fma(T.Load(dSkip + i), xv, acc);
            (acc * CpuMath.Silu(T.Load(z + i))).Store(y + i);
        }
        return i;
        }
    }
}
