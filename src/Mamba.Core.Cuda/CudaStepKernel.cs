using ILGPU;

namespace Mamba.Core.Cuda;

/// <summary>What one launch does: <see cref="Samples"/> steps of every stream in the launch, in <see cref="Mode"/>.</summary>
public readonly struct CudaStepJob(int samples, int mode)
{
    public const int Generate = 0, TeacherForce = 1, Prime = 2;
    public readonly int Samples = samples, Mode = mode;
}

/// <summary>
/// The recurrent step as one persistent ILGPU kernel: group g runs stream slots[g] through
/// <see cref="CudaStepJob.Samples"/> whole steps (every layer, the head and the sampling) without
/// leaving the GPU, its activations in shared memory, its state and the weights in global memory
/// (the L2 holds the weights of the small and base presets). Streams are independent, so groups never
/// wait for each other: no grid barrier. The math is the CPU engine's, in the same layouts and the
/// same summation order per output (a chain of multiply-adds over the input index); reductions over
/// threads (RMSNorm's sum of squares, the softmax's max and sum) are summed in a fixed order.
/// Sampling is TokenSampler's: temperature, top-p by most-probable-first selection (index ascending
/// on ties), one PCG32 draw per sample.
/// </summary>
public static class CudaStepKernel
{
    public static void Run(CudaModelLayout m, CudaStepJob job, ArrayView<float> w, ArrayView<float> state, ArrayView<int> slots,
        ArrayView<int> pending, ArrayView<ulong> rng, ArrayView<float> sampling, ArrayView<byte> tokens, ArrayView<float> logitsOut,
        ArrayView<float> logProb)
    {
        int t = Group.IdxX, T = Group.DimX;
        int slot = slots[Grid.IdxX];
        // All of a group's shared memory is one dynamic float array: ILGPU's CUDA back-end gave wrong values when
        // static shared arrays (the chosen token, the nucleus) sat beside it (seen on the H200: top-p streams stuck at 128).
        var sh = SharedMemory.GetDynamic<float>();
        int res = 0, xn = m.Dp, xz = 2 * m.Dp, xc = xz + 2 * m.DInP, xdbl = xc + m.DInP, y = xdbl + m.XDbl, logits = y + m.DInP,
            probs = logits + m.Vp, nucleus = probs + m.Vp, token = nucleus + m.Vp, red = token + 1;
        long stateBase = (long)slot * m.StateSlotStride;
        long row = (long)slot * job.Samples;

        ulong rngState = 0, rngIncrement = 0;
        float temperature = sampling[2 * slot], topP = sampling[2 * slot + 1];   // every thread: the softmax is shared work
        float likelihood = 0;   // float: the context's Fast32BitOnly math demotes doubles (a double buffer came back 0 on the H200)
        if (t == 0)
        {
            sh[token] = pending[slot];
            rngState = rng[2 * slot];
            rngIncrement = rng[2 * slot + 1];
        }
        Group.Barrier();

        for (int step = 0; step < job.Samples; step++)
        {
            int input = job.Mode == CudaStepJob.Prime ? tokens[row + step] : (int)sh[token];
            for (int i = t; i < m.Dp; i += T) sh[res + i] = w[(long)m.Embedding + (long)input * m.Dp + i];
            Group.Barrier();

            for (int l = 0; l < m.Layers; l++)
            {
                long L = (long)l * m.LayerStride;
                long S = stateBase + (long)l * m.StateLayerStride;
                RmsNorm(m, sh, res, xn, red, w, L + m.Norm, t, T);

                for (int o = t; o < 2 * m.DInP; o += T)
                {
                    sh[xz + o] = Dot(w, L + m.InProjT + o, 2 * m.DInP, sh, xn, m.Dp);
                }
                Group.Barrier();

                for (int i = t; i < m.DInP; i += T)
                {
                    float acc = w[L + m.ConvB + i];
                    for (int j = 0; j < m.K - 1; j++)
                    {
                        float v = state[S + (long)(j + 1) * m.DInP + i];
                        state[S + (long)j * m.DInP + i] = v;
                        acc += w[L + m.ConvW + (long)j * m.DInP + i] * v;
                    }
                    float xv = sh[xz + i];
                    state[S + (long)(m.K - 1) * m.DInP + i] = xv;
                    acc += w[L + m.ConvW + (long)(m.K - 1) * m.DInP + i] * xv;
                    sh[xc + i] = Silu(acc);
                }
                Group.Barrier();

                for (int o = t; o < m.XDbl; o += T)
                {
                    sh[xdbl + o] = Dot(w, L + m.XProj + (long)o * m.DInP, 1, sh, xc, m.DInP);
                }
                Group.Barrier();

                for (int i = t; i < m.DInP; i += T)
                {
                    float dt = w[L + m.DtBias + i];
                    for (int q = 0; q < m.R; q++) dt += sh[xdbl + q] * w[L + m.DtProjT + (long)q * m.DInP + i];
                    float delta = Softplus(dt);
                    float xv = sh[xc + i];
                    float dx = delta * xv;
                    float acc = 0;
                    for (int j = 0; j < m.N; j++)
                    {
                        long hAt = S + (long)(m.K + j) * m.DInP + i;
                        float dA = MathF.Exp(delta * w[L + m.A + (long)j * m.DInP + i]);
                        float hv = dA * state[hAt] + dx * sh[xdbl + m.R + j];
                        state[hAt] = hv;
                        acc += sh[xdbl + m.R + m.N + j] * hv;
                    }
                    acc += w[L + m.DSkip + i] * xv;
                    sh[y + i] = acc * Silu(sh[xz + m.DInP + i]);
                }
                Group.Barrier();

                for (int o = t; o < m.Dp; o += T)
                {
                    sh[res + o] += Dot(w, L + m.OutProjT + o, m.Dp, sh, y, m.DInP);
                }
                Group.Barrier();
            }
            if (job.Mode == CudaStepJob.Prime) continue;

            RmsNorm(m, sh, res, xn, red, w, m.NormF, t, T);
            for (int o = t; o < m.V; o += T)
            {
                sh[logits + o] = Dot(w, m.HeadT + o, m.Vp, sh, xn, m.Dp);
            }
            Group.Barrier();

            // The softmax: the max, then e^(l - max) (untempered, for the likelihood) summed in a fixed order.
            float partial = float.NegativeInfinity;
            for (int o = t; o < m.V; o += T) partial = MathF.Max(partial, sh[logits + o]);
            sh[red + t] = partial;
            Group.Barrier();
            if (t == 0)
            {
                float max = sh[red];
                for (int k = 1; k < T; k++) max = MathF.Max(max, sh[red + k]);
                sh[red] = max;
            }
            Group.Barrier();
            float maxLogit = sh[red];
            Group.Barrier();
            for (int o = t; o < m.V; o += T) sh[probs + o] = MathF.Exp(sh[logits + o] - maxLogit);
            Group.Barrier();
            if (t == 0)
            {
                float sum = 0;
                for (int o = 0; o < m.V; o++) sum += sh[probs + o];
                sh[red] = sum;                                   // untempered: the likelihood's normaliser
            }
            Group.Barrier();
            float untempered = sh[red];
            bool sampled = job.Mode == CudaStepJob.Generate && temperature > 0;
            if (sampled && temperature != 1)
            {
                float invT = 1f / temperature;
                for (int o = t; o < m.V; o += T) sh[probs + o] = MathF.Exp((sh[logits + o] - maxLogit) * invT);
                Group.Barrier();
            }
            if (sampled && topP < 1)
            {
                // The nucleus without a sort: class i's mass "above" is that of every class before it in TokenSampler's
                // order (p descending, index ascending on ties); i is in the nucleus while that mass is short of top_p.
                for (int i = t; i < m.V; i += T)
                {
                    float pi = sh[probs + i], above = 0;
                    for (int j = 0; j < m.V; j++)
                    {
                        float pj = sh[probs + j];
                        if (pj > pi || (pj == pi && j < i)) above += pj;
                    }
                    sh[nucleus + i] = above;
                }
                Group.Barrier();
            }

            if (t == 0)
            {
                int next;
                if (job.Mode == CudaStepJob.TeacherForce) next = tokens[row + step];
                else if (temperature <= 0)
                {
                    next = 0;
                    for (int o = 1; o < m.V; o++) if (sh[logits + o] > sh[logits + next]) next = o;
                }
                else
                {
                    float total = untempered;   // the same probabilities, summed in the same order, unless tempered
                    if (temperature != 1)
                    {
                        total = 0;
                        for (int o = 0; o < m.V; o++) total += sh[probs + o];
                    }
                    // pcg32: the XSH-RR output of the 64-bit LCG (Sampling/Pcg32.cs)
                    ulong old = rngState;
                    rngState = old * 6364136223846793005UL + rngIncrement;
                    uint xorShifted = (uint)(((old >> 18) ^ old) >> 27);
                    int rot = (int)(old >> 59);
                    uint bits = (xorShifted >> rot) | (xorShifted << (-rot & 31));
                    float u = (bits >> 8) * (1f / 16777216f);
                    next = topP >= 1 ? Draw(sh, probs, m.V, u * total) : DrawNucleus(sh, probs, nucleus, m.V, total * topP, u);
                }
                likelihood += sh[logits + next] - maxLogit - MathF.Log(untempered);
                sh[token] = next;
                if (job.Mode == CudaStepJob.Generate) tokens[row + step] = (byte)next;
            }
            Group.Barrier();
            if (step == job.Samples - 1)
                for (int o = t; o < m.V; o += T) logitsOut[(long)slot * m.V + o] = sh[logits + o];
        }

        if (t == 0 && job.Mode != CudaStepJob.Prime)
        {
            pending[slot] = (int)sh[token];
            rng[2 * slot] = rngState;
            logProb[slot] = likelihood;
        }
    }

    /// <summary>Inverse CDF in index order (TokenSampler.Draw): the first class whose running sum passes r.</summary>
    private static int Draw(ArrayView<float> sh, int probs, int v, float r)
    {
        float c = 0;
        int last = 0;
        for (int i = 0; i < v; i++)
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
    /// Top-p from the masses above each class (<paramref name="aboveAt"/>): the nucleus is the classes whose mass above
    /// is short of <paramref name="target"/>; the draw r = u x its mass picks, walking it most probable first, the class
    /// whose span [above, above + p) holds r; where rounding leaves r past every span, the least probable class of the nucleus.
    /// </summary>
    private static int DrawNucleus(ArrayView<float> sh, int probs, int aboveAt, int v, float target, float u)
    {
        float mass = 0;
        int last = -1;
        for (int i = 0; i < v; i++)
        {
            float p = sh[probs + i], above = sh[aboveAt + i];
            if (p > 0 && above < target)
            {
                mass += p;
                if (last < 0 || above > sh[aboveAt + last]) last = i;
            }
        }
        float r = u * mass;
        for (int i = 0; i < v; i++)
        {
            float p = sh[probs + i], above = sh[aboveAt + i];
            if (p > 0 && above < target && r >= above && r < above + p) return i;
        }
        return last < 0 ? 0 : last;
    }

    /// <summary>
    /// sum over c of w[at + c x stride] x sh[x + c], for n a multiple of 8: eight independent loads issued
    /// ahead of their multiply-adds, which stay one chain in c order (the CPU engine's order). Before this
    /// the loads waited on each other: a step of the small preset spent 44% of its cycles on them (Nsight Compute).
    /// </summary>
    private static float Dot(ArrayView<float> w, long at, int stride, ArrayView<float> sh, int x, int n)
    {
        float acc = 0;
        for (int c = 0; c < n; c += 8)
        {
            long b = at + (long)c * stride;
            float w0 = w[b], w1 = w[b + stride], w2 = w[b + 2 * stride], w3 = w[b + 3 * stride],
                w4 = w[b + 4 * stride], w5 = w[b + 5 * stride], w6 = w[b + 6 * stride], w7 = w[b + 7 * stride];
            acc += w0 * sh[x + c];
            acc += w1 * sh[x + c + 1];
            acc += w2 * sh[x + c + 2];
            acc += w3 * sh[x + c + 3];
            acc += w4 * sh[x + c + 4];
            acc += w5 * sh[x + c + 5];
            acc += w6 * sh[x + c + 6];
            acc += w7 * sh[x + c + 7];
        }
        return acc;
    }

    private static void RmsNorm(CudaModelLayout m, ArrayView<float> sh, int x, int y, int red, ArrayView<float> w, long weight, int t, int T)
    {
        float partial = 0;
        for (int i = t; i < m.Dp; i += T) partial += sh[x + i] * sh[x + i];
        sh[red + t] = partial;
        Group.Barrier();
        if (t == 0)
        {
            float sum = 0;
            for (int k = 0; k < T; k++) sum += sh[red + k];
            sh[red] = 1f / MathF.Sqrt(sum / m.D + (float)Model.MambaConfig.NormEpsilon);
        }
        Group.Barrier();
        float scale = sh[red];
        for (int i = t; i < m.Dp; i += T) sh[y + i] = sh[x + i] * scale * w[weight + i];
        Group.Barrier();
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
