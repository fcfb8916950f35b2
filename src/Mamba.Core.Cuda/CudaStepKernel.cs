using ILGPU;

namespace Mamba.Core.Cuda;

/// <summary>
/// What one launch does: <see cref="Samples"/> steps of <see cref="Streams"/> streams in <see cref="Mode"/>,
/// <see cref="StreamsPerGroup"/> of them stepped together by each group.
/// </summary>
public readonly struct CudaStepJob(int samples, int mode, int streams, int streamsPerGroup)
{
    public const int Generate = 0, TeacherForce = 1, Prime = 2;
    public readonly int Samples = samples, Mode = mode, Streams = streams, StreamsPerGroup = streamsPerGroup;

    /// <summary>Groups the launch needs.</summary>
    public int Groups => (Streams + StreamsPerGroup - 1) / StreamsPerGroup;
}

/// <summary>
/// The recurrent step as one persistent ILGPU kernel. Group b runs a tile of up to
/// <see cref="CudaStepJob.StreamsPerGroup"/> streams (slots[b G ..]) through <see cref="CudaStepJob.Samples"/>
/// whole steps (every layer, the head and the sampling) without leaving the GPU: the tile's activations in
/// shared memory, its state in global memory, the weights in L2. Tiles are independent, so groups never wait
/// for each other (no grid barrier). A tile is what makes many streams cheap: each weight a thread loads
/// serves four streams from a register and the rest of the tile from L1, so weight traffic falls with the tile
/// (the first version, one group a stream, read all of a stream's weights from L2 every step and was bound by it).
/// Every phase is spread over all the group's threads (outputs x streams), loads are issued eight at a time
/// ahead of their multiply-adds, and reductions run on as many threads as they have lanes.
/// The math is the CPU engine's in its orders: mat-vecs in column form are one FMA chain over the input
/// index, x_proj's dots and every sum put element i in lane i mod 8 and add the lanes in
/// ((0+4)+(2+6))+((1+5)+(3+7)) (<see cref="Engines.Cpu.CpuMath.Sum"/>), top-p walks the classes most probable
/// first (index ascending on ties) exactly as TokenSampler's heap pops them. Only exp, division and the square
/// root are the GPU's own (fast) instructions, so logits agree to float32 tolerance, not to the bit.
/// </summary>
public static class CudaStepKernel
{
    /// <summary>Floats of a tile's shared memory besides the streams' regions, per stream: three 8-lane reduction rows, token, max.</summary>
    public const int HeaderFloatsPerStream = 3 * 8 + 2;

    public static void Run(CudaModelLayout m, CudaStepJob job, ArrayView<float> w, ArrayView<float> state, ArrayView<int> slots,
        ArrayView<int> pending, ArrayView<ulong> rng, ArrayView<float> sampling, ArrayView<byte> tokens, ArrayView<float> logitsOut,
        ArrayView<float> logProb)
    {
        int t = Group.IdxX, T = Group.DimX;
        int G = job.StreamsPerGroup, first = Grid.IdxX * G;
        int c = Math.Min(G, job.Streams - first);   // streams in this tile: uniform over the group
        int S = m.StreamFloats;
        // All of a group's shared memory is one dynamic float array: ILGPU's CUDA back-end gave wrong values when
        // static shared arrays sat beside it (seen on the H200: top-p streams stuck at 128).
        var sh = SharedMemory.GetDynamic<float>();
        int redA = G * S, redB = redA + 8 * G, redC = redB + 8 * G, tok = redC + 8 * G, maxAt = tok + G;
        // Within stream g's region (offset g S): the layer phase's rows, then the head's (aliasing them).
        int res = 0, xn = m.Dp, xz = 2 * m.Dp, xc = xz + 2 * m.DInP, xdbl = xc + m.DInP;
        int logits = 2 * m.Dp, probs = logits + m.Vp, order = probs + m.Vp;

        // The leader of stream g is thread g (g < c): it samples, and keeps the stream's RNG and likelihood in registers.
        ulong rngState = 0, rngIncrement = 0;
        float likelihood = 0;   // float: the context's Fast32BitOnly math demotes doubles (a double buffer came back 0 on the H200)
        if (t < c)
        {
            int slot = slots[first + t];
            sh[tok + t] = pending[slot];
            rngState = rng[2 * slot];
            rngIncrement = rng[2 * slot + 1];
        }
        Group.Barrier();

        for (int step = 0; step < job.Samples; step++)
        {
            for (int idx = t; idx < c * m.Dp; idx += T)
            {
                int g = idx / m.Dp, i = idx - g * m.Dp;
                int input = job.Mode == CudaStepJob.Prime ? tokens[(long)slots[first + g] * job.Samples + step] : (int)sh[tok + g];
                sh[g * S + res + i] = w[(long)m.Embedding + (long)input * m.Dp + i];
            }
            Group.Barrier();

            for (int l = 0; l < m.Layers; l++)
            {
                long L = (long)l * m.LayerStride;
                RmsNorm(m, sh, c, S, res, xn, redA, w, L + m.Norm, t, T);
                Columns(sh, w, L + m.InProjT, 2 * m.DInP, 2 * m.DInP, m.Dp, c, S, xn, xz, false, t, T);
                Group.Barrier();

                for (int idx = t; idx < c * m.DInP; idx += T)
                {
                    int g = idx / m.DInP, i = idx - g * m.DInP;
                    long at = StateAt(m, slots[first + g], l) + i;
                    float acc = w[L + m.ConvB + i];
                    for (int j = 0; j < m.K - 1; j++)
                    {
                        float v = state[at + (long)(j + 1) * m.DInP];
                        state[at + (long)j * m.DInP] = v;
                        acc += w[L + m.ConvW + (long)j * m.DInP + i] * v;
                    }
                    float xv = sh[g * S + xz + i];
                    state[at + (long)(m.K - 1) * m.DInP] = xv;
                    acc += w[L + m.ConvW + (long)(m.K - 1) * m.DInP + i] * xv;
                    sh[g * S + xc + i] = Silu(acc);
                }
                Group.Barrier();

                Rows(m, sh, w, L + m.XProj, c, S, xc, xdbl, t, T);
                Group.Barrier();

                for (int idx = t; idx < c * m.DInP; idx += T)
                {
                    int g = idx / m.DInP, i = idx - g * m.DInP;
                    Ssm(m, sh, w, state, L, StateAt(m, slots[first + g], l) + (long)m.K * m.DInP, g * S, xc, xdbl, xz, i);
                }
                Group.Barrier();

                // y sits in the x half of xz (consumed by the conv two barriers ago); out_proj adds to the residual.
                Columns(sh, w, L + m.OutProjT, m.Dp, m.Dp, m.DInP, c, S, xz, res, true, t, T);
                Group.Barrier();
            }
            if (job.Mode == CudaStepJob.Prime) continue;

            RmsNorm(m, sh, c, S, res, xn, redA, w, m.NormF, t, T);
            Columns(sh, w, m.HeadT, m.Vp, m.V, m.Dp, c, S, xn, logits, false, t, T);
            Group.Barrier();

            // The max over 8 lanes a stream, then each lane's share of e^(l - max) (untempered, for the likelihood)
            // and of the tempered probabilities, summed in CpuMath.Sum's lanes.
            for (int idx = t; idx < c * 8; idx += T)
            {
                int g = idx >> 3, j = idx & 7;
                float mx = float.NegativeInfinity;
                for (int i = j; i < m.V; i += 8) mx = MathF.Max(mx, sh[g * S + logits + i]);
                sh[redA + idx] = mx;
            }
            Group.Barrier();
            for (int idx = t; idx < c * 8; idx += T)
            {
                int g = idx >> 3, j = idx & 7, slot = slots[first + g];
                int r = redA + 8 * g;
                float mx = MathF.Max(MathF.Max(MathF.Max(sh[r], sh[r + 4]), MathF.Max(sh[r + 2], sh[r + 6])),
                    MathF.Max(MathF.Max(sh[r + 1], sh[r + 5]), MathF.Max(sh[r + 3], sh[r + 7])));
                float temperature = sampling[2 * slot];
                bool tempered = job.Mode == CudaStepJob.Generate && temperature > 0 && temperature != 1;
                float invT = tempered ? 1f / temperature : 1f;
                float untempered = 0, sum = 0;
                for (int i = j; i < m.V; i += 8)
                {
                    float shifted = sh[g * S + logits + i] - mx;
                    float p = MathF.Exp(shifted);
                    untempered += p;
                    if (tempered) p = MathF.Exp(shifted * invT);
                    sum += p;
                    sh[g * S + probs + i] = p;
                }
                sh[redC + idx] = untempered;
                sh[redB + idx] = sum;
                if (j == 0) sh[maxAt + g] = mx;
            }
            Group.Barrier();

            // Top-p: each class's place in TokenSampler's order (p descending, index ascending on ties), so the leader
            // can walk the classes most probable first. Only for streams that sample with top-p < 1.
            for (int idx = t; idx < c * m.V; idx += T)
            {
                int g = idx / m.V, i = idx - g * m.V, slot = slots[first + g];
                float temperature = sampling[2 * slot], topP = sampling[2 * slot + 1];
                if (job.Mode != CudaStepJob.Generate || temperature <= 0 || topP >= 1) continue;
                int p0 = g * S + probs;
                float pi = sh[p0 + i];
                int rank = 0;
                for (int k = 0; k < m.V; k++)
                {
                    float pk = sh[p0 + k];
                    if (pk > pi || (pk == pi && k < i)) rank++;
                }
                sh[g * S + order + rank] = i;   // a class as a float: exact below 2^24
            }
            Group.Barrier();

            if (t < c)
            {
                int g = t, slot = slots[first + g], region = g * S;
                float temperature = sampling[2 * slot], topP = sampling[2 * slot + 1];
                float mx = sh[maxAt + g];
                float untempered = Tree(sh, redC + 8 * g), total = Tree(sh, redB + 8 * g);
                int next;
                if (job.Mode == CudaStepJob.TeacherForce) next = tokens[(long)slot * job.Samples + step];
                else if (temperature <= 0)
                {
                    next = 0;
                    for (int o = 1; o < m.V; o++) if (sh[region + logits + o] > sh[region + logits + next]) next = o;
                }
                else
                {
                    // pcg32: the XSH-RR output of the 64-bit LCG (Sampling/Pcg32.cs)
                    ulong old = rngState;
                    rngState = old * 6364136223846793005UL + rngIncrement;
                    uint xorShifted = (uint)(((old >> 18) ^ old) >> 27);
                    int rot = (int)(old >> 59);
                    uint bits = (xorShifted >> rot) | (xorShifted << (-rot & 31));
                    float u = (bits >> 8) * (1f / 16777216f);
                    next = topP >= 1 ? Draw(sh, region + probs, m.V, u * total) : DrawNucleus(sh, region + probs, region + order, m.V, total, topP, u);
                }
                likelihood += sh[region + logits + next] - mx - MathF.Log(untempered);
                sh[tok + g] = next;
                if (job.Mode == CudaStepJob.Generate) tokens[(long)slot * job.Samples + step] = (byte)next;
            }
            Group.Barrier();
            if (step == job.Samples - 1)
                for (int idx = t; idx < c * m.V; idx += T)
                {
                    int g = idx / m.V, o = idx - g * m.V;
                    logitsOut[(long)slots[first + g] * m.V + o] = sh[g * S + logits + o];
                }
        }

        if (t < c && job.Mode != CudaStepJob.Prime)
        {
            int slot = slots[first + t];
            pending[slot] = (int)sh[tok + t];
            rng[2 * slot] = rngState;
            logProb[slot] = likelihood;
        }
    }

    private static long StateAt(CudaModelLayout m, int slot, int layer) => (long)slot * m.StateSlotStride + (long)layer * m.StateLayerStride;

    /// <summary>((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)) of the 8 lanes at <paramref name="at"/>: CpuMath.Sum's tree.</summary>
    private static float Tree(ArrayView<float> sh, int at) =>
        ((sh[at] + sh[at + 4]) + (sh[at + 2] + sh[at + 6])) + ((sh[at + 1] + sh[at + 5]) + (sh[at + 3] + sh[at + 7]));

    /// <summary>
    /// Column form for every stream of the tile: Y[g, o] (+)= sum_c X[g, c] W^T[c, o], one FMA chain in c order.
    /// A work item is one output for four streams: the weight, loaded once (consecutive outputs: coalesced), feeds
    /// four chains. Thirty-two weights are loaded ahead of their multiply-adds (eight before this measured 69 µs a
    /// small step for one stream on the H200, most of it waiting on L2), then eight at a time for the rest. A tile of
    /// fewer than four streams repeats its last stream in the spare chains and stores only the real ones.
    /// </summary>
    private static void Columns(ArrayView<float> sh, ArrayView<float> w, long at, int stride, int outputs, int cols,
        int c, int S, int x, int y, bool accumulate, int t, int T)
    {
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
    private static void Rows(CudaModelLayout m, ArrayView<float> sh, ArrayView<float> w, long at, int c, int S, int x, int y, int t, int T)
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

    /// <summary>
    /// The selective SSM for channel i of one stream, fused with dt_proj and the gate (CpuKernels.SsmStep's math):
    /// h (n, d_in) at <paramref name="h"/> in global memory, loaded eight states ahead of their use.
    /// y goes to the x half of xz.
    /// </summary>
    private static void Ssm(CudaModelLayout m, ArrayView<float> sh, ArrayView<float> w, ArrayView<float> state, long L, long h,
        int region, int xc, int xdbl, int xz, int i)
    {
        float dt = w[L + m.DtBias + i];
        for (int q = 0; q < m.R; q++) dt += sh[region + xdbl + q] * w[L + m.DtProjT + (long)q * m.DInP + i];
        float delta = Softplus(dt);
        float xv = sh[region + xc + i];
        float dx = delta * xv;
        float acc = 0;
        int b = region + xdbl + m.R, cc = b + m.N;
        long a = L + m.A + i, hi = h + i;
        int j = 0;
        for (; j + 7 < m.N; j += 8)
        {
            float h0 = state[hi + (long)(j + 0) * m.DInP], h1 = state[hi + (long)(j + 1) * m.DInP], h2 = state[hi + (long)(j + 2) * m.DInP], h3 = state[hi + (long)(j + 3) * m.DInP],
                h4 = state[hi + (long)(j + 4) * m.DInP], h5 = state[hi + (long)(j + 5) * m.DInP], h6 = state[hi + (long)(j + 6) * m.DInP], h7 = state[hi + (long)(j + 7) * m.DInP];
            float a0 = w[a + (long)(j + 0) * m.DInP], a1 = w[a + (long)(j + 1) * m.DInP], a2 = w[a + (long)(j + 2) * m.DInP], a3 = w[a + (long)(j + 3) * m.DInP],
                a4 = w[a + (long)(j + 4) * m.DInP], a5 = w[a + (long)(j + 5) * m.DInP], a6 = w[a + (long)(j + 6) * m.DInP], a7 = w[a + (long)(j + 7) * m.DInP];
            h0 = MathF.Exp(delta * a0) * h0 + dx * sh[b + j + 0];
            h1 = MathF.Exp(delta * a1) * h1 + dx * sh[b + j + 1];
            h2 = MathF.Exp(delta * a2) * h2 + dx * sh[b + j + 2];
            h3 = MathF.Exp(delta * a3) * h3 + dx * sh[b + j + 3];
            h4 = MathF.Exp(delta * a4) * h4 + dx * sh[b + j + 4];
            h5 = MathF.Exp(delta * a5) * h5 + dx * sh[b + j + 5];
            h6 = MathF.Exp(delta * a6) * h6 + dx * sh[b + j + 6];
            h7 = MathF.Exp(delta * a7) * h7 + dx * sh[b + j + 7];
            state[hi + (long)(j + 0) * m.DInP] = h0;
            state[hi + (long)(j + 1) * m.DInP] = h1;
            state[hi + (long)(j + 2) * m.DInP] = h2;
            state[hi + (long)(j + 3) * m.DInP] = h3;
            state[hi + (long)(j + 4) * m.DInP] = h4;
            state[hi + (long)(j + 5) * m.DInP] = h5;
            state[hi + (long)(j + 6) * m.DInP] = h6;
            state[hi + (long)(j + 7) * m.DInP] = h7;
            acc += sh[cc + j + 0] * h0;
            acc += sh[cc + j + 1] * h1;
            acc += sh[cc + j + 2] * h2;
            acc += sh[cc + j + 3] * h3;
            acc += sh[cc + j + 4] * h4;
            acc += sh[cc + j + 5] * h5;
            acc += sh[cc + j + 6] * h6;
            acc += sh[cc + j + 7] * h7;
        }
        for (; j < m.N; j++)
        {
            long at = hi + (long)j * m.DInP;
            float hv = MathF.Exp(delta * w[a + (long)j * m.DInP]) * state[at] + dx * sh[b + j];
            state[at] = hv;
            acc += sh[cc + j] * hv;
        }
        acc += w[L + m.DSkip + i] * xv;
        sh[region + xz + i] = acc * Silu(sh[region + xz + m.DInP + i]);
    }

    /// <summary>
    /// RMSNorm of every stream of the tile: 8 lanes a stream sum the squares in CpuMath.SumOfSquares's lanes, then
    /// every output thread adds them in its tree and scales.
    /// </summary>
    private static void RmsNorm(CudaModelLayout m, ArrayView<float> sh, int c, int S, int x, int y, int red, ArrayView<float> w, long weight, int t, int T)
    {
        for (int idx = t; idx < c * 8; idx += T)
        {
            int g = idx >> 3, j = idx & 7;
            float acc = 0;
            for (int i = j; i < m.Dp; i += 8) acc += sh[g * S + x + i] * sh[g * S + x + i];
            sh[red + idx] = acc;
        }
        Group.Barrier();
        for (int idx = t; idx < c * m.Dp; idx += T)
        {
            int g = idx / m.Dp, i = idx - g * m.Dp;
            float scale = 1f / MathF.Sqrt(Tree(sh, red + 8 * g) / m.D + (float)Model.MambaConfig.NormEpsilon);
            sh[g * S + y + i] = sh[g * S + x + i] * scale * w[weight + i];
        }
        Group.Barrier();
    }

    /// <summary>Inverse CDF in index order (TokenSampler.Draw): the first class whose running sum passes r.</summary>
    private static int Draw(ArrayView<float> sh, int probs, int v, float r)
    {
        float c = 0;
        int last = 0, i = 0;
        // Eight probabilities read ahead of the running sum: a read of shared memory waited on one by one cost ~30 cycles each.
        for (; i + 8 <= v; i += 8)
        {
            float p0 = sh[probs + i], p1 = sh[probs + i + 1], p2 = sh[probs + i + 2], p3 = sh[probs + i + 3],
                p4 = sh[probs + i + 4], p5 = sh[probs + i + 5], p6 = sh[probs + i + 6], p7 = sh[probs + i + 7];
            if (p0 > 0) { c += p0; last = i; if (r < c) return i; }
            if (p1 > 0) { c += p1; last = i + 1; if (r < c) return i + 1; }
            if (p2 > 0) { c += p2; last = i + 2; if (r < c) return i + 2; }
            if (p3 > 0) { c += p3; last = i + 3; if (r < c) return i + 3; }
            if (p4 > 0) { c += p4; last = i + 4; if (r < c) return i + 4; }
            if (p5 > 0) { c += p5; last = i + 5; if (r < c) return i + 5; }
            if (p6 > 0) { c += p6; last = i + 6; if (r < c) return i + 6; }
            if (p7 > 0) { c += p7; last = i + 7; if (r < c) return i + 7; }
        }
        for (; i < v; i++)
        {
            float p = sh[probs + i];
            if (p <= 0) continue;
            c += p;
            last = i;
            if (r < c) return i;
        }
        return last;
    }

    /// <summary>
    /// TokenSampler.DrawNucleus over the classes in its order (<paramref name="order"/>: class at each place):
    /// classes under llama2.c's cut are never candidates; the nucleus is the most probable classes until their mass
    /// reaches top_p x total, summed in that order; the draw walks it in the same order.
    /// </summary>
    private static int DrawNucleus(ArrayView<float> sh, int probs, int order, int v, float total, float topP, float u)
    {
        float cutoff = v > 1 ? (1f - topP) / (v - 1) * total : 0f;
        float target = topP * total, mass = 0;
        int n = 0;
        for (; n < v; )
        {
            float p = sh[probs + (int)sh[order + n]];
            if (p < cutoff) break;
            n++;
            mass += p;
            if (mass >= target) break;
        }
        if (n == 0) n = 1;   // not reached: the most probable class is never under the cut
        float r = u * mass, c = 0;
        for (int k = 0; k < n; k++)
        {
            int index = (int)sh[order + k];
            c += sh[probs + index];
            if (r < c) return index;
        }
        return (int)sh[order + n - 1];
    }

    private static float Silu(float x) => x / (1f + MathF.Exp(-x));

    /// <summary>max(x, 0) + ln(1 + e^-|x|), as the CPU engine's (CpuMath.Softplus), with its series for ln(1 + e).</summary>
    private static float Softplus(float x)
    {
        float e = MathF.Exp(-MathF.Abs(x));
        float s = e / (2f + e), s2 = s * s;
        float q = (1f / 15f) * s2 + 1f / 13f;
        q = q * s2 + 1f / 11f;
        q = q * s2 + 1f / 9f;
        q = q * s2 + 1f / 7f;
        q = q * s2 + 1f / 5f;
        q = q * s2 + 1f / 3f;
        q = q * s2 + 1f;
        return MathF.Max(x, 0f) + 2f * s * q;
    }
}
