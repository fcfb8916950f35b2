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
    /// <summary>Floats of a tile's shared memory besides the streams' regions, per stream: three 8-lane reduction rows, token, max, temperature and top-p.</summary>
    public const int HeaderFloatsPerStream = 3 * 8 + 4;

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
        int redA = G * S, redB = redA + 8 * G, redC = redB + 8 * G, tok = redC + 8 * G, maxAt = tok + G, settings = maxAt + G;
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
        CudaSampling.LoadSettings(sh, settings, sampling, slots, first, c, t);
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
                CudaMatVec.Columns(sh, w, L + m.InProjT, 2 * m.DInP, 2 * m.DInP, m.Dp, c, S, xn, xz, false, t, T);
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

                CudaMatVec.Rows(m, sh, w, L + m.XProj, c, S, xc, xdbl, t, T);
                Group.Barrier();

                for (int idx = t; idx < c * m.DInP; idx += T)
                {
                    int g = idx / m.DInP, i = idx - g * m.DInP;
                    Ssm(m, sh, w, state, L, StateAt(m, slots[first + g], l) + (long)m.K * m.DInP, g * S, xc, xdbl, xz, i);
                }
                Group.Barrier();

                // y sits in the x half of xz (consumed by the conv two barriers ago); out_proj adds to the residual.
                CudaMatVec.Columns(sh, w, L + m.OutProjT, m.Dp, m.Dp, m.DInP, c, S, xz, res, true, t, T);
                Group.Barrier();
            }
            if (job.Mode == CudaStepJob.Prime) continue;

            RmsNorm(m, sh, c, S, res, xn, redA, w, m.NormF, t, T);
            CudaMatVec.Columns(sh, w, m.HeadT, m.Vp, m.V, m.Dp, c, S, xn, logits, false, t, T);
            Group.Barrier();

            var regions = new CudaTileRegions(S, logits, probs, order, redB, redC, tok, maxAt, settings);
            CudaSampling.Step(m, job, sh, regions, c, first, slots, tokens, logitsOut, step, ref rngState, rngIncrement, ref likelihood,
                new CudaStamps(rng, -1, 0), t, T);
        }

        if (t < c && job.Mode != CudaStepJob.Prime)
        {
            int slot = slots[first + t];
            pending[slot] = (int)sh[tok + t];
            rng[2 * slot] = rngState;
            logProb[slot] = likelihood;
        }
    }

    internal static long StateAt(CudaModelLayout m, int slot, int layer) => (long)slot * m.StateSlotStride + (long)layer * m.StateLayerStride;

    /// <summary>((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)) of the 8 lanes at <paramref name="at"/>: CpuMath.Sum's tree.</summary>
    internal static float Tree(ArrayView<float> sh, int at) =>
        ((sh[at] + sh[at + 4]) + (sh[at + 2] + sh[at + 6])) + ((sh[at + 1] + sh[at + 5]) + (sh[at + 3] + sh[at + 7]));

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
    internal static void RmsNorm(CudaModelLayout m, ArrayView<float> sh, int c, int S, int x, int y, int red, ArrayView<float> w, long weight, int t, int T)
    {
        for (int idx = t; idx < c * 8; idx += T)
        {
            int g = idx >> 3, j = idx & 7;
            // Four values read ahead of their multiply-adds (base: 32 a lane, each add had waited on its read).
            float acc = 0;
            int i = j, at = g * S + x;
            for (; i + 24 < m.Dp; i += 32)
            {
                float v0 = sh[at + i], v1 = sh[at + i + 8], v2 = sh[at + i + 16], v3 = sh[at + i + 24];
                acc += v0 * v0;
                acc += v1 * v1;
                acc += v2 * v2;
                acc += v3 * v3;
            }
            for (; i < m.Dp; i += 8) acc += sh[at + i] * sh[at + i];
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

    internal static float Silu(float x) => x / (1f + MathF.Exp(-x));

    /// <summary>max(x, 0) + ln(1 + e^-|x|), as the CPU engine's (CpuMath.Softplus), with its series for ln(1 + e).</summary>
    internal static float Softplus(float x)
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
