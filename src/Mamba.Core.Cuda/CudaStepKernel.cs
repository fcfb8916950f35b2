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
        ArrayView<double> logProb)
    {
        int t = Group.IdxX, T = Group.DimX;
        int slot = slots[Grid.IdxX];
        var sh = SharedMemory.GetDynamic<float>();
        var token = SharedMemory.Allocate<int>(1);
        var nucleus = SharedMemory.Allocate<int>(256);
        int res = 0, xn = m.Dp, xz = 2 * m.Dp, xc = xz + 2 * m.DInP, xdbl = xc + m.DInP, y = xdbl + m.XDbl, logits = y + m.DInP,
            probs = logits + m.Vp, red = probs + m.Vp;
        long stateBase = (long)slot * m.StateSlotStride;
        long row = (long)slot * job.Samples;

        ulong rngState = 0, rngIncrement = 0;
        float temperature = 1, topP = 1;
        double likelihood = 0;
        if (t == 0)
        {
            token[0] = pending[slot];
            rngState = rng[2 * slot];
            rngIncrement = rng[2 * slot + 1];
            temperature = sampling[2 * slot];
            topP = sampling[2 * slot + 1];
        }
        Group.Barrier();

        for (int step = 0; step < job.Samples; step++)
        {
            int input = job.Mode == CudaStepJob.Prime ? tokens[row + step] : token[0];
            for (int i = t; i < m.Dp; i += T) sh[res + i] = w[(long)m.Embedding + (long)input * m.Dp + i];
            Group.Barrier();

            for (int l = 0; l < m.Layers; l++)
            {
                long L = (long)l * m.LayerStride;
                long S = stateBase + (long)l * m.StateLayerStride;
                RmsNorm(m, sh, res, xn, red, w, L + m.Norm, t, T);

                for (int o = t; o < 2 * m.DInP; o += T)
                {
                    float acc = 0;
                    for (int c = 0; c < m.Dp; c++) acc += w[L + m.InProjT + (long)c * 2 * m.DInP + o] * sh[xn + c];
                    sh[xz + o] = acc;
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
                    float acc = 0;
                    for (int c = 0; c < m.DInP; c++) acc += w[L + m.XProj + (long)o * m.DInP + c] * sh[xc + c];
                    sh[xdbl + o] = acc;
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
                    float acc = 0;
                    for (int c = 0; c < m.DInP; c++) acc += w[L + m.OutProjT + (long)c * m.Dp + o] * sh[y + c];
                    sh[res + o] += acc;
                }
                Group.Barrier();
            }
            if (job.Mode == CudaStepJob.Prime) continue;

            RmsNorm(m, sh, res, xn, red, w, m.NormF, t, T);
            for (int o = t; o < m.V; o += T)
            {
                float acc = 0;
                for (int c = 0; c < m.Dp; c++) acc += w[m.HeadT + (long)c * m.Vp + o] * sh[xn + c];
                sh[logits + o] = acc;
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
            float invT = temperature > 0 ? 1f / temperature : 1f;
            Group.Barrier();
            for (int o = t; o < m.V; o += T) sh[probs + o] = MathF.Exp(sh[logits + o] - maxLogit);
            Group.Barrier();

            if (t == 0)
            {
                float untempered = 0;
                for (int o = 0; o < m.V; o++) untempered += sh[probs + o];
                int next;
                if (job.Mode == CudaStepJob.TeacherForce) next = tokens[row + step];
                else if (temperature <= 0)
                {
                    next = 0;
                    for (int o = 1; o < m.V; o++) if (sh[logits + o] > sh[logits + next]) next = o;
                }
                else
                {
                    float total = untempered;
                    if (temperature != 1)
                    {
                        total = 0;
                        for (int o = 0; o < m.V; o++)
                        {
                            float p = MathF.Exp((sh[logits + o] - maxLogit) * invT);
                            sh[probs + o] = p;
                            total += p;
                        }
                    }
                    // pcg32: the XSH-RR output of the 64-bit LCG (Sampling/Pcg32.cs)
                    ulong old = rngState;
                    rngState = old * 6364136223846793005UL + rngIncrement;
                    uint xorShifted = (uint)(((old >> 18) ^ old) >> 27);
                    int rot = (int)(old >> 59);
                    uint bits = (xorShifted >> rot) | (xorShifted << (-rot & 31));
                    float u = (bits >> 8) * (1f / 16777216f);
                    next = topP >= 1 ? Draw(sh, probs, m.V, u * total) : DrawNucleus(sh, probs, nucleus, m.V, total, topP, u);
                }
                likelihood += (double)sh[logits + next] - maxLogit - MathF.Log(untempered);
                token[0] = next;
                if (job.Mode == CudaStepJob.Generate) tokens[row + step] = (byte)next;
            }
            Group.Barrier();
            if (step == job.Samples - 1)
                for (int o = t; o < m.V; o += T) logitsOut[(long)slot * m.V + o] = sh[logits + o];
        }

        if (t == 0 && job.Mode != CudaStepJob.Prime)
        {
            pending[slot] = token[0];
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

    /// <summary>Top-p: classes most probable first (index ascending on ties) until their mass reaches top_p of the total, then the draw among them.</summary>
    private static int DrawNucleus(ArrayView<float> sh, int probs, ArrayView<int> chosen, int v, float total, float topP, float u)
    {
        float target = topP * total, mass = 0;
        int n = 0;
        while (n < v)
        {
            int best = -1;
            for (int i = 0; i < v; i++)
            {
                float p = sh[probs + i];
                if (p > 0 && (best < 0 || p > sh[probs + best])) best = i;
            }
            if (best < 0) break;
            chosen[n++] = best;
            mass += sh[probs + best];
            sh[probs + best] = -sh[probs + best];   // taken (restored below)
            if (mass >= target) break;
        }
        for (int j = 0; j < n; j++) sh[probs + chosen[j]] = -sh[probs + chosen[j]];
        float r = u * mass, c = 0;
        for (int j = 0; j < n; j++)
        {
            c += sh[probs + chosen[j]];
            if (r < c) return chosen[j];
        }
        return n > 0 ? chosen[n - 1] : 0;
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
