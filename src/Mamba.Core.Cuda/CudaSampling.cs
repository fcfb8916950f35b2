using ILGPU;

namespace Mamba.Core.Cuda;

/// <summary>
/// The step kernel's draws, TokenSampler's in the same order of operations: the inverse CDF in index order, and
/// top-p over the classes most probable first, and the sampling phase around them. Device code: called from <see cref="CudaStepKernel"/> and <see cref="CudaSpreadStepKernel"/>.
/// </summary>
public static class CudaSampling
{
    /// <summary>
    /// The sampling phase of one step for every stream of a tile (its logits in shared memory at r.Logits): the max (a
    /// warp a stream, exact in any order), every class's e^(l - max) untempered (the likelihood) and tempered on a thread
    /// of its own, their sums in CpuMath.Sum's 8 lanes in index order; top-p's order where a stream needs it; then each
    /// stream's leader (thread g) draws, keeps the RNG and likelihood in its registers and writes the next token. The
    /// streams' temperature and top-p are in shared memory at r.Settings (<see cref="LoadSettings"/>). Every thread of the
    /// group calls it (it has barriers).
    /// Measured on the H200 (small, one stream spread over 16 parts, CudaSpreadProfile): 16,025 cycles a step when eight
    /// threads a stream did the max and the exps one class after another and the settings were read from global memory
    /// in every phase, 18% of the step.
    /// </summary>
    public static void Step(CudaModelLayout m, CudaStepJob job, ArrayView<float> sh, CudaTileRegions r, int c, int first, ArrayView<int> slots,
        ArrayView<byte> tokens, ArrayView<float> logitsOut, int step, ref ulong rngState, ulong rngIncrement,
        ref float likelihood, CudaStamps stamps, int t, int T)
    {
        // The max: a warp a stream (T is whole warps, so a stream's lanes share one), lane j over classes j, j + W, ...
        int W = Warp.WarpSize;
        for (int idx = t; idx < c * W; idx += T)
        {
            int g = idx / W, j = idx - g * W;
            float mx = float.NegativeInfinity;
            for (int i = j; i < m.V; i += W) mx = MathF.Max(mx, sh[g * r.S + r.Logits + i]);
            for (int s = W >> 1; s > 0; s >>= 1) mx = MathF.Max(mx, Warp.ShuffleXor(mx, s));
            if (j == 0) sh[r.MaxAt + g] = mx;
        }
        Group.Barrier();
        stamps.Write(0, t);

        // e^(l - max) of every class: untempered into the order row (free until top-p's ranks below), tempered into probs.
        for (int idx = t; idx < c * m.V; idx += T)
        {
            int g = idx / m.V, i = idx - g * m.V;
            float temperature = sh[r.Settings + 2 * g];
            bool tempered = job.Mode == CudaStepJob.Generate && temperature > 0 && temperature != 1;
            float shifted = sh[g * r.S + r.Logits + i] - sh[r.MaxAt + g];
            float p = MathF.Exp(shifted);
            sh[g * r.S + r.Order + i] = p;
            sh[g * r.S + r.Probs + i] = tempered ? MathF.Exp(shifted * (1f / temperature)) : p;
        }
        Group.Barrier();
        stamps.Write(1, t);

        // Each lane's sums, in index order as CpuMath.Sum's lanes add them, eight values read ahead of the adds.
        for (int idx = t; idx < c * 8; idx += T)
        {
            int g = idx >> 3, j = idx & 7;
            sh[r.RedC + idx] = LaneSum(sh, g * r.S + r.Order, j, m.V);
            sh[r.RedB + idx] = LaneSum(sh, g * r.S + r.Probs, j, m.V);
        }
        Group.Barrier();
        stamps.Write(2, t);

        // Top-p: each class's place in TokenSampler's order (p descending, index ascending on ties), so the leader
        // can walk the classes most probable first. Only for streams that sample with top-p < 1.
        for (int idx = t; idx < c * m.V; idx += T)
        {
            int g = idx / m.V, i = idx - g * m.V;
            float temperature = sh[r.Settings + 2 * g], topP = sh[r.Settings + 2 * g + 1];
            if (job.Mode != CudaStepJob.Generate || temperature <= 0 || topP >= 1) continue;
            int p0 = g * r.S + r.Probs;
            float pi = sh[p0 + i];
            int rank = 0;
            for (int k = 0; k < m.V; k++)
            {
                float pk = sh[p0 + k];
                if (pk > pi || (pk == pi && k < i)) rank++;
            }
            sh[g * r.S + r.Order + rank] = i;   // a class as a float: exact below 2^24
        }
        Group.Barrier();
        stamps.Write(3, t);

        if (t < c)
        {
            int g = t, slot = slots[first + g], region = g * r.S;
            float temperature = sh[r.Settings + 2 * g], topP = sh[r.Settings + 2 * g + 1];
            float mx = sh[r.MaxAt + g];
            float untempered = CudaStepKernel.Tree(sh, r.RedC + 8 * g), total = CudaStepKernel.Tree(sh, r.RedB + 8 * g);
            int next;
            if (job.Mode == CudaStepJob.TeacherForce) next = tokens[(long)slot * job.Samples + step];
            else if (temperature <= 0)
            {
                next = 0;
                for (int o = 1; o < m.V; o++) if (sh[region + r.Logits + o] > sh[region + r.Logits + next]) next = o;
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
                next = topP >= 1 ? Draw(sh, region + r.Probs, m.V, u * total) : DrawNucleus(sh, region + r.Probs, region + r.Order, m.V, total, topP, u);
            }
            likelihood += sh[region + r.Logits + next] - mx - MathF.Log(untempered);
            sh[r.Tok + g] = next;
            if (job.Mode == CudaStepJob.Generate) tokens[(long)slot * job.Samples + step] = (byte)next;
        }
        Group.Barrier();
        if (step == job.Samples - 1)
            for (int idx = t; idx < c * m.V; idx += T)
            {
                int g = idx / m.V, o = idx - g * m.V;
                logitsOut[(long)slots[first + g] * m.V + o] = sh[g * r.S + r.Logits + o];
            }
        stamps.Write(4, t);
    }

    /// <summary>
    /// Each stream's temperature and top-p into shared memory at <paramref name="at"/> (two floats a stream), once a launch:
    /// by the tile's first <paramref name="c"/> threads, before a barrier the caller has.
    /// </summary>
    public static void LoadSettings(ArrayView<float> sh, int at, ArrayView<float> sampling, ArrayView<int> slots, int first, int c, int t)
    {
        if (t >= c) return;
        int slot = slots[first + t];
        sh[at + 2 * t] = sampling[2 * slot];
        sh[at + 2 * t + 1] = sampling[2 * slot + 1];
    }

    /// <summary>((0 + x[j]) + x[j + 8]) + ... over the row of <paramref name="v"/> at <paramref name="row"/>: one of CpuMath.Sum's lanes.</summary>
    private static float LaneSum(ArrayView<float> sh, int row, int j, int v)
    {
        float acc = 0;
        int i = j;
        for (; i + 56 < v; i += 64)
        {
            float x0 = sh[row + i], x1 = sh[row + i + 8], x2 = sh[row + i + 16], x3 = sh[row + i + 24],
                x4 = sh[row + i + 32], x5 = sh[row + i + 40], x6 = sh[row + i + 48], x7 = sh[row + i + 56];
            acc += x0;
            acc += x1;
            acc += x2;
            acc += x3;
            acc += x4;
            acc += x5;
            acc += x6;
            acc += x7;
        }
        for (; i < v; i += 8) acc += sh[row + i];
        return acc;
    }

    /// <summary>
    /// Inverse CDF in index order (TokenSampler.Draw): the first class whose running sum passes r; the last class of
    /// positive probability if rounding leaves r at or past the total. The running sum is the same chain of adds; the
    /// test is a select, not a branch, and the loop leaves once a block of eight has found the class. A class of zero
    /// probability adds nothing, so it never passes r where the class before it did not: the select needs no test of p.
    /// Measured on the H200 (small, one stream spread over 16 parts): 11,148 cycles a step, 13% of the step, with a
    /// branch for each class.
    /// </summary>
    public static int Draw(ArrayView<float> sh, int probs, int v, float r)
    {
        float c = 0;
        int last = 0, found = -1, i = 0;
        for (; i + 8 <= v; i += 8)
        {
            float p0 = sh[probs + i], p1 = sh[probs + i + 1], p2 = sh[probs + i + 2], p3 = sh[probs + i + 3],
                p4 = sh[probs + i + 4], p5 = sh[probs + i + 5], p6 = sh[probs + i + 6], p7 = sh[probs + i + 7];
            c += p0; found = found < 0 && r < c ? i : found; last = p0 > 0 ? i : last;
            c += p1; found = found < 0 && r < c ? i + 1 : found; last = p1 > 0 ? i + 1 : last;
            c += p2; found = found < 0 && r < c ? i + 2 : found; last = p2 > 0 ? i + 2 : last;
            c += p3; found = found < 0 && r < c ? i + 3 : found; last = p3 > 0 ? i + 3 : last;
            c += p4; found = found < 0 && r < c ? i + 4 : found; last = p4 > 0 ? i + 4 : last;
            c += p5; found = found < 0 && r < c ? i + 5 : found; last = p5 > 0 ? i + 5 : last;
            c += p6; found = found < 0 && r < c ? i + 6 : found; last = p6 > 0 ? i + 6 : last;
            c += p7; found = found < 0 && r < c ? i + 7 : found; last = p7 > 0 ? i + 7 : last;
            if (found >= 0) return found;
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
    public static int DrawNucleus(ArrayView<float> sh, int probs, int order, int v, float total, float topP, float u)
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
}

/// <summary>
/// Where the sampling phase writes its five clock stamps (<see cref="CudaSpreadProfile"/>): words At.. of a buffer, the
/// CPU accelerator's stand-in clock at Counter; At below 0 writes none (the tiles kernel, and steps not profiled).
/// </summary>
public readonly struct CudaStamps(ArrayView<ulong> words, long at, long counter)
{
    public readonly ArrayView<ulong> Words = words;
    public readonly long At = at, Counter = counter;

    public void Write(int i, int t)
    {
        if (t == 0 && At >= 0) Words[At + i] = CudaClock.Now(Words, Counter);
    }
}

/// <summary>
/// Where a tile's sampling rows sit in shared memory: per stream (offset g S) the logits, probabilities and top-p order;
/// per tile the two 8-lane sum rows, tokens, maxima and settings (temperature and top-p, two a stream).
/// </summary>
public readonly struct CudaTileRegions(int s, int logits, int probs, int order, int redB, int redC, int tok, int maxAt, int settings)
{
    public readonly int S = s, Logits = logits, Probs = probs, Order = order, RedB = redB, RedC = redC, Tok = tok, MaxAt = maxAt, Settings = settings;
}
