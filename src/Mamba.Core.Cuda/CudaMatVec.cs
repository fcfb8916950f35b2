using ILGPU;

namespace Mamba.Core.Cuda;

/// <summary>
/// The step kernel's matrix-vector products over a tile of streams, in the CPU engine's summation orders
/// (<see cref="Engines.Cpu.CpuKernels"/>): the column form for in_proj, out_proj and the head, the row form for x_proj.
/// Device code: called from <see cref="CudaStepKernel"/> only.
/// </summary>
public static class CudaMatVec
{
    /// <summary>
    /// Column form for every stream of the tile: Y[g, o] (+)= sum_c X[g, c] W^T[c, o], one FMA chain in c order.
    /// A work item is one output for four streams: the weight, loaded once (consecutive outputs: coalesced), feeds
    /// four chains. Thirty-two weights are loaded ahead of their multiply-adds (eight before this measured 69 µs a
    /// small step for one stream on the H200, most of it waiting on L2), then eight at a time for the rest. A tile of
    /// fewer than four streams repeats its last stream in the spare chains and stores only the real ones.
    /// </summary>
    public static void Columns(ArrayView<float> sh, ArrayView<float> w, long at, int stride, int outputs, int cols,
        int c, int S, int x, int y, bool accumulate, int t, int T)
    {
        if (c == 1)
        {
            ColumnsOfOne(sh, w, at, stride, outputs, cols, x, y, accumulate, t, T);
            return;
        }
        int quads = (c + 3) >> 2;
        for (int item = t; item < outputs * quads; item += T)
        {
            int q = item / outputs, o = item - q * outputs, g0 = 4 * q;
            int x0 = g0 * S + x, x1 = Math.Min(g0 + 1, c - 1) * S + x, x2 = Math.Min(g0 + 2, c - 1) * S + x, x3 = Math.Min(g0 + 3, c - 1) * S + x;
            float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            int k = 0;
            for (; k + 32 <= cols; k += 32)
            {
                long b = at + (long)k * stride + o;
                float w0 = w[b], w1 = w[b + 1 * stride], w2 = w[b + 2 * stride], w3 = w[b + 3 * stride];
                float w4 = w[b + 4 * stride], w5 = w[b + 5 * stride], w6 = w[b + 6 * stride], w7 = w[b + 7 * stride];
                float w8 = w[b + 8 * stride], w9 = w[b + 9 * stride], w10 = w[b + 10 * stride], w11 = w[b + 11 * stride];
                float w12 = w[b + 12 * stride], w13 = w[b + 13 * stride], w14 = w[b + 14 * stride], w15 = w[b + 15 * stride];
                float w16 = w[b + 16 * stride], w17 = w[b + 17 * stride], w18 = w[b + 18 * stride], w19 = w[b + 19 * stride];
                float w20 = w[b + 20 * stride], w21 = w[b + 21 * stride], w22 = w[b + 22 * stride], w23 = w[b + 23 * stride];
                float w24 = w[b + 24 * stride], w25 = w[b + 25 * stride], w26 = w[b + 26 * stride], w27 = w[b + 27 * stride];
                float w28 = w[b + 28 * stride], w29 = w[b + 29 * stride], w30 = w[b + 30 * stride], w31 = w[b + 31 * stride];
                a0 += w0 * sh[x0 + k + 0]; a1 += w0 * sh[x1 + k + 0]; a2 += w0 * sh[x2 + k + 0]; a3 += w0 * sh[x3 + k + 0];
                a0 += w1 * sh[x0 + k + 1]; a1 += w1 * sh[x1 + k + 1]; a2 += w1 * sh[x2 + k + 1]; a3 += w1 * sh[x3 + k + 1];
                a0 += w2 * sh[x0 + k + 2]; a1 += w2 * sh[x1 + k + 2]; a2 += w2 * sh[x2 + k + 2]; a3 += w2 * sh[x3 + k + 2];
                a0 += w3 * sh[x0 + k + 3]; a1 += w3 * sh[x1 + k + 3]; a2 += w3 * sh[x2 + k + 3]; a3 += w3 * sh[x3 + k + 3];
                a0 += w4 * sh[x0 + k + 4]; a1 += w4 * sh[x1 + k + 4]; a2 += w4 * sh[x2 + k + 4]; a3 += w4 * sh[x3 + k + 4];
                a0 += w5 * sh[x0 + k + 5]; a1 += w5 * sh[x1 + k + 5]; a2 += w5 * sh[x2 + k + 5]; a3 += w5 * sh[x3 + k + 5];
                a0 += w6 * sh[x0 + k + 6]; a1 += w6 * sh[x1 + k + 6]; a2 += w6 * sh[x2 + k + 6]; a3 += w6 * sh[x3 + k + 6];
                a0 += w7 * sh[x0 + k + 7]; a1 += w7 * sh[x1 + k + 7]; a2 += w7 * sh[x2 + k + 7]; a3 += w7 * sh[x3 + k + 7];
                a0 += w8 * sh[x0 + k + 8]; a1 += w8 * sh[x1 + k + 8]; a2 += w8 * sh[x2 + k + 8]; a3 += w8 * sh[x3 + k + 8];
                a0 += w9 * sh[x0 + k + 9]; a1 += w9 * sh[x1 + k + 9]; a2 += w9 * sh[x2 + k + 9]; a3 += w9 * sh[x3 + k + 9];
                a0 += w10 * sh[x0 + k + 10]; a1 += w10 * sh[x1 + k + 10]; a2 += w10 * sh[x2 + k + 10]; a3 += w10 * sh[x3 + k + 10];
                a0 += w11 * sh[x0 + k + 11]; a1 += w11 * sh[x1 + k + 11]; a2 += w11 * sh[x2 + k + 11]; a3 += w11 * sh[x3 + k + 11];
                a0 += w12 * sh[x0 + k + 12]; a1 += w12 * sh[x1 + k + 12]; a2 += w12 * sh[x2 + k + 12]; a3 += w12 * sh[x3 + k + 12];
                a0 += w13 * sh[x0 + k + 13]; a1 += w13 * sh[x1 + k + 13]; a2 += w13 * sh[x2 + k + 13]; a3 += w13 * sh[x3 + k + 13];
                a0 += w14 * sh[x0 + k + 14]; a1 += w14 * sh[x1 + k + 14]; a2 += w14 * sh[x2 + k + 14]; a3 += w14 * sh[x3 + k + 14];
                a0 += w15 * sh[x0 + k + 15]; a1 += w15 * sh[x1 + k + 15]; a2 += w15 * sh[x2 + k + 15]; a3 += w15 * sh[x3 + k + 15];
                a0 += w16 * sh[x0 + k + 16]; a1 += w16 * sh[x1 + k + 16]; a2 += w16 * sh[x2 + k + 16]; a3 += w16 * sh[x3 + k + 16];
                a0 += w17 * sh[x0 + k + 17]; a1 += w17 * sh[x1 + k + 17]; a2 += w17 * sh[x2 + k + 17]; a3 += w17 * sh[x3 + k + 17];
                a0 += w18 * sh[x0 + k + 18]; a1 += w18 * sh[x1 + k + 18]; a2 += w18 * sh[x2 + k + 18]; a3 += w18 * sh[x3 + k + 18];
                a0 += w19 * sh[x0 + k + 19]; a1 += w19 * sh[x1 + k + 19]; a2 += w19 * sh[x2 + k + 19]; a3 += w19 * sh[x3 + k + 19];
                a0 += w20 * sh[x0 + k + 20]; a1 += w20 * sh[x1 + k + 20]; a2 += w20 * sh[x2 + k + 20]; a3 += w20 * sh[x3 + k + 20];
                a0 += w21 * sh[x0 + k + 21]; a1 += w21 * sh[x1 + k + 21]; a2 += w21 * sh[x2 + k + 21]; a3 += w21 * sh[x3 + k + 21];
                a0 += w22 * sh[x0 + k + 22]; a1 += w22 * sh[x1 + k + 22]; a2 += w22 * sh[x2 + k + 22]; a3 += w22 * sh[x3 + k + 22];
                a0 += w23 * sh[x0 + k + 23]; a1 += w23 * sh[x1 + k + 23]; a2 += w23 * sh[x2 + k + 23]; a3 += w23 * sh[x3 + k + 23];
                a0 += w24 * sh[x0 + k + 24]; a1 += w24 * sh[x1 + k + 24]; a2 += w24 * sh[x2 + k + 24]; a3 += w24 * sh[x3 + k + 24];
                a0 += w25 * sh[x0 + k + 25]; a1 += w25 * sh[x1 + k + 25]; a2 += w25 * sh[x2 + k + 25]; a3 += w25 * sh[x3 + k + 25];
                a0 += w26 * sh[x0 + k + 26]; a1 += w26 * sh[x1 + k + 26]; a2 += w26 * sh[x2 + k + 26]; a3 += w26 * sh[x3 + k + 26];
                a0 += w27 * sh[x0 + k + 27]; a1 += w27 * sh[x1 + k + 27]; a2 += w27 * sh[x2 + k + 27]; a3 += w27 * sh[x3 + k + 27];
                a0 += w28 * sh[x0 + k + 28]; a1 += w28 * sh[x1 + k + 28]; a2 += w28 * sh[x2 + k + 28]; a3 += w28 * sh[x3 + k + 28];
                a0 += w29 * sh[x0 + k + 29]; a1 += w29 * sh[x1 + k + 29]; a2 += w29 * sh[x2 + k + 29]; a3 += w29 * sh[x3 + k + 29];
                a0 += w30 * sh[x0 + k + 30]; a1 += w30 * sh[x1 + k + 30]; a2 += w30 * sh[x2 + k + 30]; a3 += w30 * sh[x3 + k + 30];
                a0 += w31 * sh[x0 + k + 31]; a1 += w31 * sh[x1 + k + 31]; a2 += w31 * sh[x2 + k + 31]; a3 += w31 * sh[x3 + k + 31];
            }
            for (; k < cols; k += 8)
            {
                long b = at + (long)k * stride + o;
                float w0 = w[b], w1 = w[b + 1 * stride], w2 = w[b + 2 * stride], w3 = w[b + 3 * stride];
                float w4 = w[b + 4 * stride], w5 = w[b + 5 * stride], w6 = w[b + 6 * stride], w7 = w[b + 7 * stride];
                a0 += w0 * sh[x0 + k + 0]; a1 += w0 * sh[x1 + k + 0]; a2 += w0 * sh[x2 + k + 0]; a3 += w0 * sh[x3 + k + 0];
                a0 += w1 * sh[x0 + k + 1]; a1 += w1 * sh[x1 + k + 1]; a2 += w1 * sh[x2 + k + 1]; a3 += w1 * sh[x3 + k + 1];
                a0 += w2 * sh[x0 + k + 2]; a1 += w2 * sh[x1 + k + 2]; a2 += w2 * sh[x2 + k + 2]; a3 += w2 * sh[x3 + k + 2];
                a0 += w3 * sh[x0 + k + 3]; a1 += w3 * sh[x1 + k + 3]; a2 += w3 * sh[x2 + k + 3]; a3 += w3 * sh[x3 + k + 3];
                a0 += w4 * sh[x0 + k + 4]; a1 += w4 * sh[x1 + k + 4]; a2 += w4 * sh[x2 + k + 4]; a3 += w4 * sh[x3 + k + 4];
                a0 += w5 * sh[x0 + k + 5]; a1 += w5 * sh[x1 + k + 5]; a2 += w5 * sh[x2 + k + 5]; a3 += w5 * sh[x3 + k + 5];
                a0 += w6 * sh[x0 + k + 6]; a1 += w6 * sh[x1 + k + 6]; a2 += w6 * sh[x2 + k + 6]; a3 += w6 * sh[x3 + k + 6];
                a0 += w7 * sh[x0 + k + 7]; a1 += w7 * sh[x1 + k + 7]; a2 += w7 * sh[x2 + k + 7]; a3 += w7 * sh[x3 + k + 7];
            }
            Store(sh, g0 * S + y + o, a0, accumulate);
            if (g0 + 1 < c) Store(sh, (g0 + 1) * S + y + o, a1, accumulate);
            if (g0 + 2 < c) Store(sh, (g0 + 2) * S + y + o, a2, accumulate);
            if (g0 + 3 < c) Store(sh, (g0 + 3) * S + y + o, a3, accumulate);
        }
    }

    /// <summary>
    /// <see cref="Columns"/> for a tile of one stream (the latency case: one stream a group): one chain a thread,
    /// the same FMAs in the same order as the first chain of the four-stream form, so the results are the same
    /// bits, without the three copies of the chain the four-stream form computes for a lone stream (they had
    /// tripled the instructions of in_proj, out_proj and the head, and out_proj runs on a quarter of the threads).
    /// </summary>
    private static void ColumnsOfOne(ArrayView<float> sh, ArrayView<float> w, long at, int stride, int outputs, int cols,
        int x, int y, bool accumulate, int t, int T)
    {
        for (int o = t; o < outputs; o += T)
        {
            float a = 0;
            int k = 0;
            for (; k + 32 <= cols; k += 32)
            {
                long b = at + (long)k * stride + o;
                float w0 = w[b], w1 = w[b + 1 * stride], w2 = w[b + 2 * stride], w3 = w[b + 3 * stride];
                float w4 = w[b + 4 * stride], w5 = w[b + 5 * stride], w6 = w[b + 6 * stride], w7 = w[b + 7 * stride];
                float w8 = w[b + 8 * stride], w9 = w[b + 9 * stride], w10 = w[b + 10 * stride], w11 = w[b + 11 * stride];
                float w12 = w[b + 12 * stride], w13 = w[b + 13 * stride], w14 = w[b + 14 * stride], w15 = w[b + 15 * stride];
                float w16 = w[b + 16 * stride], w17 = w[b + 17 * stride], w18 = w[b + 18 * stride], w19 = w[b + 19 * stride];
                float w20 = w[b + 20 * stride], w21 = w[b + 21 * stride], w22 = w[b + 22 * stride], w23 = w[b + 23 * stride];
                float w24 = w[b + 24 * stride], w25 = w[b + 25 * stride], w26 = w[b + 26 * stride], w27 = w[b + 27 * stride];
                float w28 = w[b + 28 * stride], w29 = w[b + 29 * stride], w30 = w[b + 30 * stride], w31 = w[b + 31 * stride];
                a += w0 * sh[x + k + 0];
                a += w1 * sh[x + k + 1];
                a += w2 * sh[x + k + 2];
                a += w3 * sh[x + k + 3];
                a += w4 * sh[x + k + 4];
                a += w5 * sh[x + k + 5];
                a += w6 * sh[x + k + 6];
                a += w7 * sh[x + k + 7];
                a += w8 * sh[x + k + 8];
                a += w9 * sh[x + k + 9];
                a += w10 * sh[x + k + 10];
                a += w11 * sh[x + k + 11];
                a += w12 * sh[x + k + 12];
                a += w13 * sh[x + k + 13];
                a += w14 * sh[x + k + 14];
                a += w15 * sh[x + k + 15];
                a += w16 * sh[x + k + 16];
                a += w17 * sh[x + k + 17];
                a += w18 * sh[x + k + 18];
                a += w19 * sh[x + k + 19];
                a += w20 * sh[x + k + 20];
                a += w21 * sh[x + k + 21];
                a += w22 * sh[x + k + 22];
                a += w23 * sh[x + k + 23];
                a += w24 * sh[x + k + 24];
                a += w25 * sh[x + k + 25];
                a += w26 * sh[x + k + 26];
                a += w27 * sh[x + k + 27];
                a += w28 * sh[x + k + 28];
                a += w29 * sh[x + k + 29];
                a += w30 * sh[x + k + 30];
                a += w31 * sh[x + k + 31];
            }
            for (; k < cols; k += 8)
            {
                long b = at + (long)k * stride + o;
                float w0 = w[b], w1 = w[b + 1 * stride], w2 = w[b + 2 * stride], w3 = w[b + 3 * stride];
                float w4 = w[b + 4 * stride], w5 = w[b + 5 * stride], w6 = w[b + 6 * stride], w7 = w[b + 7 * stride];
                a += w0 * sh[x + k + 0];
                a += w1 * sh[x + k + 1];
                a += w2 * sh[x + k + 2];
                a += w3 * sh[x + k + 3];
                a += w4 * sh[x + k + 4];
                a += w5 * sh[x + k + 5];
                a += w6 * sh[x + k + 6];
                a += w7 * sh[x + k + 7];
            }
            Store(sh, y + o, a, accumulate);
        }
    }

    /// <summary>
    /// Y[o] (+)= W[o, :] . X for o &lt; outputs, W row-major at <paramref name="at"/> (rows of <paramref name="cols"/>):
    /// <paramref name="lanes"/> neighbouring threads an output (a power of two up to the warp), lane q taking inputs
    /// q, q + lanes, ..., eight loads ahead, the lanes added by shuffles. For one stream spread over groups
    /// (<see cref="CudaSpreadStepKernel"/>), where a part's outputs are few and its rows long: splitting a row over
    /// lanes shortens the chain a thread waits on, in a summation order of its own (float32 tolerance of the CPU's).
    /// Every thread runs the same rounds (a spare one computes a copy and stores nothing), so every lane is at each shuffle.
    /// </summary>
    public static void Split(ArrayView<float> sh, ArrayView<float> w, long at, int outputs, int cols, int lanes,
        int x, int y, bool accumulate, int t, int T)
    {
        int items = outputs * lanes;
        for (int start = 0; start < items; start += T)
        {
            int item = Math.Min(start + t, items - 1);
            int o = item / lanes, q = item - o * lanes;
            long row = at + (long)o * cols;
            float a = 0;
            int k = q;
            for (; k + 7 * lanes < cols; k += 8 * lanes)
            {
                float w0 = w[row + k], w1 = w[row + k + lanes], w2 = w[row + k + 2 * lanes], w3 = w[row + k + 3 * lanes];
                float w4 = w[row + k + 4 * lanes], w5 = w[row + k + 5 * lanes], w6 = w[row + k + 6 * lanes], w7 = w[row + k + 7 * lanes];
                a += w0 * sh[x + k];
                a += w1 * sh[x + k + lanes];
                a += w2 * sh[x + k + 2 * lanes];
                a += w3 * sh[x + k + 3 * lanes];
                a += w4 * sh[x + k + 4 * lanes];
                a += w5 * sh[x + k + 5 * lanes];
                a += w6 * sh[x + k + 6 * lanes];
                a += w7 * sh[x + k + 7 * lanes];
            }
            for (; k < cols; k += lanes) a += w[row + k] * sh[x + k];
            for (int s = lanes >> 1; s > 0; s >>= 1) a += Warp.ShuffleXor(a, s);
            if (start + t < items && q == 0) Store(sh, y + o, a, accumulate);
        }
    }

    /// <summary>The lanes <see cref="Split"/> gives a row of <paramref name="cols"/>: about eight inputs a lane, at most a warp.</summary>
    public static int LanesFor(int cols, int warp)
    {
        int lanes = 1;
        while (lanes * 2 <= warp && lanes * 16 <= cols) lanes *= 2;   // at least eight inputs a lane
        return lanes;
    }

    private static void Store(ArrayView<float> sh, int at, float value, bool accumulate)
    {
        if (accumulate) sh[at] += value;
        else sh[at] = value;
    }

    /// <summary>
    /// x_proj in row form, as the CPU's MatMulRows: Y[g, o] = W[o, :] . X[g, :] with input c in lane c mod 8 and
    /// the lanes added in CpuMath.Sum's tree. The 8 lanes of an output are 8 neighbouring threads of a warp, added
    /// by shuffles. Every thread runs the same number of rounds (a spare one computes a copy and stores nothing),
    /// so every lane of a warp is at each shuffle.
    /// </summary>
    public static void Rows(CudaModelLayout m, ArrayView<float> sh, ArrayView<float> w, long at, int c, int S, int x, int y, int t, int T)
    {
        int items = c * m.XDbl * 8;
        for (int start = 0; start < items; start += T)
        {
            int item = Math.Min(start + t, items - 1);
            int j = item & 7, go = item >> 3, g = go / m.XDbl, o = go - g * m.XDbl;
            long row = at + (long)o * m.DInP;
            int xg = g * S + x;
            float acc = 0;
            int k = j;
            for (; k + 120 < m.DInP; k += 128)
            {
                float w0 = w[row + k], w1 = w[row + k + 8], w2 = w[row + k + 16], w3 = w[row + k + 24];
                float w4 = w[row + k + 32], w5 = w[row + k + 40], w6 = w[row + k + 48], w7 = w[row + k + 56];
                float w8 = w[row + k + 64], w9 = w[row + k + 72], w10 = w[row + k + 80], w11 = w[row + k + 88];
                float w12 = w[row + k + 96], w13 = w[row + k + 104], w14 = w[row + k + 112], w15 = w[row + k + 120];
                acc += w0 * sh[xg + k + 0];
                acc += w1 * sh[xg + k + 8];
                acc += w2 * sh[xg + k + 16];
                acc += w3 * sh[xg + k + 24];
                acc += w4 * sh[xg + k + 32];
                acc += w5 * sh[xg + k + 40];
                acc += w6 * sh[xg + k + 48];
                acc += w7 * sh[xg + k + 56];
                acc += w8 * sh[xg + k + 64];
                acc += w9 * sh[xg + k + 72];
                acc += w10 * sh[xg + k + 80];
                acc += w11 * sh[xg + k + 88];
                acc += w12 * sh[xg + k + 96];
                acc += w13 * sh[xg + k + 104];
                acc += w14 * sh[xg + k + 112];
                acc += w15 * sh[xg + k + 120];
            }
            for (; k + 24 < m.DInP; k += 32)
            {
                float w0 = w[row + k], w1 = w[row + k + 8], w2 = w[row + k + 16], w3 = w[row + k + 24];
                acc += w0 * sh[xg + k];
                acc += w1 * sh[xg + k + 8];
                acc += w2 * sh[xg + k + 16];
                acc += w3 * sh[xg + k + 24];
            }
            for (; k < m.DInP; k += 8) acc += w[row + k] * sh[xg + k];
            float s = acc + Warp.ShuffleXor(acc, 4);
            s += Warp.ShuffleXor(s, 2);
            s += Warp.ShuffleXor(s, 1);
            if (start + t < items && j == 0) sh[g * S + y + o] = s;
        }
    }
}
