using ILGPU;

namespace Mamba.Core.Cuda;

/// <summary>
/// The step kernel's draws, TokenSampler's in the same order of operations: the inverse CDF in index order, and
/// top-p over the classes most probable first. Device code: run by a stream's leader thread in <see cref="CudaStepKernel"/>.
/// </summary>
public static class CudaSampling
{
    /// <summary>Inverse CDF in index order (TokenSampler.Draw): the first class whose running sum passes r.</summary>
    public static int Draw(ArrayView<float> sh, int probs, int v, float r)
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
