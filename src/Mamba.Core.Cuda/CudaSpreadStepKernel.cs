using ILGPU;

namespace Mamba.Core.Cuda;

/// <summary>
/// A launch of <see cref="CudaSpreadStepKernel"/>: the step job (one stream a lane), the epoch of its first step, and
/// where the exchange words are (their device address, for the loads that bypass L1, and the failure flag's index), and
/// how many of its first steps write clock stamps (<see cref="CudaSpreadProfile"/>; 0 when not profiling): into the
/// exchange words after the flag, past one word for the CPU accelerator's stand-in clock.
/// </summary>
public readonly struct CudaSpreadJob(CudaStepJob step, uint epoch, long address, long flag, int profiledSteps = 0)
{
    public readonly CudaStepJob Step = step;
    public readonly uint Epoch = epoch;
    public readonly long Address = address, Flag = flag;
    public readonly int ProfiledSteps = profiledSteps;
}

/// <summary>
/// The recurrent step for few streams, each spread over <see cref="CudaPartLayout.Parts"/> groups on as many
/// multiprocessors (a lane of groups a stream): the latency case. One group holding a whole stream waits on L2 for every
/// phase (one small stream on the H200: ~46 µs a step in <see cref="CudaStepKernel"/>, 21,739 samples/s); here each part
/// holds a slice of the weights (a few KiB a layer: they stay in its L1) and its channels' conv and SSM state in shared
/// memory for the whole launch, and the parts hand each other three small vectors a layer through
/// <see cref="CudaExchange"/>: x_proj's partial sums over their channels, y, and the residual after their slice of
/// out_proj. Every part computes the norms, the softmax and the draw itself from the same values in the same order,
/// so they agree without another exchange; part 0 writes the stream's results.
/// The parts of a lane must run at once: the engine launches at most one group a multiprocessor. A gather ends in a
/// group barrier (<see cref="CudaExchange.Gather"/>), so no other barrier follows one.
/// The math is the CPU engine's, in summation orders of its own where a row is split over lanes
/// (<see cref="CudaMatVec.Split"/>): logits agree to float32 tolerance, not to the bit.
/// </summary>
public static class CudaSpreadStepKernel
{
    /// <summary>Floats of a group's shared memory.</summary>
    public static int SharedFloats(CudaModelLayout m, CudaPartLayout p) =>
        2 * m.Dp + 3 * p.Channels + m.XDbl + m.DInP + p.Parts * m.XDbl + m.Layers * (m.K + m.N) * p.Channels + 3 * m.Vp + 3 * 8 + 5;

    /// <summary>The kernel whose parts exchange through L2 (<see cref="CudaPartExchange.ThroughL2"/>): any CUDA device, and the CPU accelerator.</summary>
    public static void Run(CudaModelLayout m, CudaPartLayout p, CudaSpreadJob spread, ArrayView<float> w, ArrayView<float> pw,
        ArrayView<float> state, ArrayView<int> slots, ArrayView<int> pending, ArrayView<ulong> rng, ArrayView<float> sampling,
        ArrayView<byte> tokens, ArrayView<float> logitsOut, ArrayView<float> logProb, ArrayView<ulong> ex) =>
        Step<CudaPartExchange.ThroughL2>(m, p, spread, w, pw, state, slots, pending, rng, sampling, tokens, logitsOut, logProb, ex);

    /// <summary>
    /// The kernel whose lanes are thread-block clusters (<see cref="CudaPartExchange.InCluster"/>), loaded by
    /// <see cref="CudaClusterKernel"/> only: a separate entry, so that the other holds no sm_90 instruction.
    /// </summary>
    public static void RunInCluster(CudaModelLayout m, CudaPartLayout p, CudaSpreadJob spread, ArrayView<float> w, ArrayView<float> pw,
        ArrayView<float> state, ArrayView<int> slots, ArrayView<int> pending, ArrayView<ulong> rng, ArrayView<float> sampling,
        ArrayView<byte> tokens, ArrayView<float> logitsOut, ArrayView<float> logProb, ArrayView<ulong> ex) =>
        Step<CudaPartExchange.InCluster>(m, p, spread, w, pw, state, slots, pending, rng, sampling, tokens, logitsOut, logProb, ex);

    private static void Step<TExchange>(CudaModelLayout m, CudaPartLayout p, CudaSpreadJob spread, ArrayView<float> w, ArrayView<float> pw,
        ArrayView<float> state, ArrayView<int> slots, ArrayView<int> pending, ArrayView<ulong> rng, ArrayView<float> sampling,
        ArrayView<byte> tokens, ArrayView<float> logitsOut, ArrayView<float> logProb, ArrayView<ulong> ex)
        where TExchange : struct, ICudaPartExchange
    {
        var job = spread.Step;
        var exchange = default(TExchange);
        int t = Group.IdxX, T = Group.DimX, P = p.Parts, C = p.Channels;
        int lane = Grid.IdxX / P, part = Grid.IdxX - lane * P;
        int slot = slots[lane];
        int c0 = part * C, d0 = part * p.Outputs, v0 = part * p.Classes;
        var sh = SharedMemory.GetDynamic<float>();
        int res = 0, xn = m.Dp, xz = 2 * m.Dp, xc = xz + 2 * C, dbl = xc + C, y = dbl + m.XDbl, gather = y + m.DInP;
        int conv = gather + P * m.XDbl, hs = conv + m.Layers * m.K * C, logits = hs + m.Layers * m.N * C;
        int probs = logits + m.Vp, order = probs + m.Vp, redA = order + m.Vp, redB = redA + 8, redC = redB + 8;
        int tok = redC + 8, maxAt = tok + 1, stop = maxAt + 1, settings = stop + 1;
        long part0 = (long)part * p.PartStride, exLane = (long)lane * p.ExLaneStride;
        int stamps = CudaSpreadProfile.StampsPerStep(m.Layers);

        // This part's channels of the stream's state, held in shared memory for the launch.
        for (int idx = t; idx < m.Layers * (m.K + m.N) * C; idx += T)
        {
            int l = idx / ((m.K + m.N) * C), rest = idx - l * (m.K + m.N) * C, row = rest / C, ci = rest - row * C;
            float v = state[CudaStepKernel.StateAt(m, slot, l) + (long)row * m.DInP + c0 + ci];
            if (row < m.K) sh[conv + (l * m.K + row) * C + ci] = v;
            else sh[hs + (l * m.N + row - m.K) * C + ci] = v;
        }
        ulong rngState = 0, rngIncrement = 0;
        float likelihood = 0;
        if (t == 0)
        {
            sh[tok] = pending[slot];
            rngState = rng[2 * slot];
            rngIncrement = rng[2 * slot + 1];
        }
        CudaSampling.LoadSettings(sh, settings, sampling, slots, lane, 1, t);
        exchange.Begin();

        for (int step = 0; step < job.Samples; step++)
        {
            uint epoch = spread.Epoch + (uint)step;
            int k = Mark(ex, spread, stamps, step, 0, t);
            if (t == 0) sh[stop] = CudaExchange.Failed(ex, spread.Address, spread.Flag) ? 1 : 0;
            for (int i = t; i < m.Dp; i += T)
            {
                int input = job.Mode == CudaStepJob.Prime ? tokens[(long)slot * job.Samples + step] : (int)sh[tok];
                sh[res + i] = w[(long)m.Embedding + (long)input * m.Dp + i];
            }
            Group.Barrier();
            if (sh[stop] != 0) break;   // a part gave up waiting: end the launch, the engine reports it
            k = Mark(ex, spread, stamps, step, k, t);

            for (int l = 0; l < m.Layers; l++)
            {
                long L = (long)l * m.LayerStride, PL = part0 + (long)l * p.LayerStride, exLayer = exLane + (long)l * p.ExLayerStride;
                CudaStepKernel.RmsNorm(m, sh, 1, 0, res, xn, redA, w, L + m.Norm, t, T);
                CudaMatVec.Split(sh, pw, PL + p.InRows, 2 * C, m.Dp, p.ModelLanes, xn, xz, false, t, T);
                Group.Barrier();
                k = Mark(ex, spread, stamps, step, k, t);

                for (int ci = t; ci < C; ci += T)
                {
                    int window = conv + l * m.K * C + ci;
                    float acc = pw[PL + p.ConvB + ci];
                    for (int j = 0; j < m.K - 1; j++)
                    {
                        float v = sh[window + (j + 1) * C];
                        sh[window + j * C] = v;
                        acc += pw[PL + p.ConvW + j * C + ci] * v;
                    }
                    float xv = sh[xz + ci];
                    sh[window + (m.K - 1) * C] = xv;
                    acc += pw[PL + p.ConvW + (m.K - 1) * C + ci] * xv;
                    sh[xc + ci] = CudaStepKernel.Silu(acc);
                }
                Group.Barrier();
                k = Mark(ex, spread, stamps, step, k, t);

                // x_proj's sums over this part's channels, to every part; then the parts' sums, added in part order.
                CudaMatVec.Split(sh, pw, PL + p.XProj, m.XDbl, C, p.ChannelLanes, xc, gather + part * m.XDbl, false, t, T);
                Group.Barrier();
                k = Mark(ex, spread, stamps, step, k, t);
                for (int o = t; o < m.XDbl; o += T)
                    exchange.Send(ex, spread, exLayer + p.ExPartials + part * m.XDbl + o, gather + part * m.XDbl + o, sh[gather + part * m.XDbl + o], epoch, P, 0);
                exchange.Receive(sh, gather, ex, spread, exLayer + p.ExPartials, P * m.XDbl, epoch, 0, step * m.Layers + l, t, T);
                for (int o = t; o < m.XDbl; o += T) sh[dbl + o] = PartSum(sh, gather + o, m.XDbl, P);
                Group.Barrier();
                k = Mark(ex, spread, stamps, step, k, t);

                Ssm(m, p, sh, pw, PL, l, p.StateLanes, hs, xz, xc, dbl, y + c0, exchange, ex, spread, exLayer + p.ExY + c0, epoch, t, T);
                k = Mark(ex, spread, stamps, step, k, t);   // no barrier here: thread 0's share of the SSM, the rest waits in the gather
                exchange.Receive(sh, y, ex, spread, exLayer + p.ExY, m.DInP, epoch, 1, step * m.Layers + l, t, T);
                k = Mark(ex, spread, stamps, step, k, t);

                // This part's outputs of out_proj, added to its slice of the residual, to every part. (Each part computing
                // all of out_proj instead, and the head, saving this exchange and the logits', was measured slower on the H200:
                // small 15,572 samples/s against 23,640; BENCHMARKS, "phase profile".)
                CudaMatVec.Split(sh, pw, PL + p.OutRows, p.Outputs, m.DInP, p.InnerLanes, y, res + d0, true, t, T);
                Group.Barrier();
                k = Mark(ex, spread, stamps, step, k, t);
                for (int o = t; o < p.Outputs; o += T)
                    exchange.Send(ex, spread, exLayer + p.ExResidual + d0 + o, res + d0 + o, sh[res + d0 + o], epoch, P, 2);
                exchange.Receive(sh, res, ex, spread, exLayer + p.ExResidual, m.Dp, epoch, 2, step * m.Layers + l, t, T);
                k = Mark(ex, spread, stamps, step, k, t);
            }
            if (job.Mode == CudaStepJob.Prime) continue;

            CudaStepKernel.RmsNorm(m, sh, 1, 0, res, xn, redA, w, m.NormF, t, T);
            CudaMatVec.Split(sh, pw, part0 + p.Head, p.Classes, m.Dp, p.ModelLanes, xn, logits + v0, false, t, T);
            Group.Barrier();
            k = Mark(ex, spread, stamps, step, k, t);
            for (int o = t; o < p.Classes && v0 + o < m.V; o += T)
                exchange.Send(ex, spread, exLane + p.ExLogits + v0 + o, logits + v0 + o, sh[logits + v0 + o], epoch, P, 3);
            exchange.Receive(sh, logits, ex, spread, exLane + p.ExLogits, m.V, epoch, 3, step, t, T);
            k = Mark(ex, spread, stamps, step, k, t);

            // Every part draws the same token from the same logits and RNG; only part 0's writes are kept apart from
            // the token buffer, which every part writes with the same byte.
            var regions = new CudaTileRegions(0, logits, probs, order, redB, redC, tok, maxAt, settings);
            CudaSampling.Step(m, job, sh, regions, 1, lane, slots, tokens, logitsOut, step, ref rngState, rngIncrement, ref likelihood,
                new CudaStamps(ex, step < spread.ProfiledSteps ? StampAt(spread, stamps, step, k) : -1, spread.Flag + 1), t, T);
        }

        for (int idx = t; idx < m.Layers * (m.K + m.N) * C; idx += T)
        {
            int l = idx / ((m.K + m.N) * C), rest = idx - l * (m.K + m.N) * C, row = rest / C, ci = rest - row * C;
            float v = row < m.K ? sh[conv + (l * m.K + row) * C + ci] : sh[hs + (l * m.N + row - m.K) * C + ci];
            state[CudaStepKernel.StateAt(m, slot, l) + (long)row * m.DInP + c0 + ci] = v;
        }
        exchange.End();
        if (t == 0 && part == 0 && job.Mode != CudaStepJob.Prime)
        {
            pending[slot] = (int)sh[tok];
            rng[2 * slot] = rngState;
            logProb[slot] = likelihood;
        }
    }

    /// <summary>
    /// The parts' partial sums of one x_proj output (<paramref name="at"/>, every <paramref name="stride"/>), added in part
    /// order, eight read ahead of their adds: read one by one, each add waited on a read of shared memory.
    /// </summary>
    private static float PartSum(ArrayView<float> sh, int at, int stride, int parts)
    {
        float s = 0;
        int b = 0;
        for (; b + 8 <= parts; b += 8)
        {
            float v0 = sh[at + b * stride], v1 = sh[at + (b + 1) * stride], v2 = sh[at + (b + 2) * stride], v3 = sh[at + (b + 3) * stride],
                v4 = sh[at + (b + 4) * stride], v5 = sh[at + (b + 5) * stride], v6 = sh[at + (b + 6) * stride], v7 = sh[at + (b + 7) * stride];
            s += v0;
            s += v1;
            s += v2;
            s += v3;
            s += v4;
            s += v5;
            s += v6;
            s += v7;
        }
        for (; b < parts; b++) s += sh[at + b * stride];
        return s;
    }

    /// <summary>Stamp k of this step, by the group's first thread while the step is profiled; the next stamp's index.</summary>
    private static int Mark(ArrayView<ulong> ex, in CudaSpreadJob spread, int stamps, int step, int k, int t)
    {
        if (t == 0 && step < spread.ProfiledSteps) ex[StampAt(spread, stamps, step, k)] = CudaClock.Now(ex, spread.Flag + 1);
        return k + 1;
    }

    private static long StampAt(in CudaSpreadJob spread, int stamps, int step, int k) =>
        spread.Flag + 2 + ((long)Grid.IdxX * spread.ProfiledSteps + step) * stamps + k;

    /// <summary>
    /// The selective SSM for this part's channels (CpuKernels.SsmStep's math, fused with dt_proj and the gate):
    /// <paramref name="lanes"/> threads a channel, each taking states q, q + lanes, ..., the lanes' parts of C h added
    /// by shuffles. h is in shared memory at <paramref name="hs"/>; y goes to shared memory at <paramref name="y"/> and
    /// to the exchange at <paramref name="exY"/>.
    /// </summary>
    private static void Ssm<TExchange>(CudaModelLayout m, CudaPartLayout p, ArrayView<float> sh, ArrayView<float> pw, long PL, int l, int lanes,
        int hs, int xz, int xc, int dbl, int y, TExchange exchange, ArrayView<ulong> ex, in CudaSpreadJob spread, long exY, uint epoch, int t, int T)
        where TExchange : struct, ICudaPartExchange
    {
        int C = p.Channels, items = C * lanes;
        for (int start = 0; start < items; start += T)
        {
            int item = Math.Min(start + t, items - 1);
            int ci = item / lanes, q = item - ci * lanes;
            float dt = pw[PL + p.DtBias + ci];
            for (int r = 0; r < m.R; r++) dt += sh[dbl + r] * pw[PL + p.DtProjT + r * C + ci];
            float delta = CudaStepKernel.Softplus(dt);
            float xv = sh[xc + ci];
            float dx = delta * xv;
            int b = dbl + m.R, cc = b + m.N, h = hs + l * m.N * C + ci;
            float acc = 0;
            for (int n = q; n < m.N; n += lanes)
            {
                float hv = MathF.Exp(delta * pw[PL + p.A + n * C + ci]) * sh[h + n * C] + dx * sh[b + n];
                if (start + t < items) sh[h + n * C] = hv;
                acc += sh[cc + n] * hv;
            }
            for (int s = lanes >> 1; s > 0; s >>= 1) acc += Warp.ShuffleXor(acc, s);
            if (start + t < items && q == 0)
            {
                float v = (acc + pw[PL + p.DSkip + ci] * xv) * CudaStepKernel.Silu(sh[xz + C + ci]);
                sh[y + ci] = v;
                exchange.Send(ex, spread, exY + ci, y + ci, v, epoch, p.Parts, 1);
            }
        }
    }
}
