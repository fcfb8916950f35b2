using System.Runtime.Intrinsics;
using Mamba.Core.Engines.Cpu;

namespace Mamba.Core.Sampling;

/// <summary>
/// Picks the next class from a row of logits with temperature and top-p, and reports its natural-log
/// probability under the model's own (untempered) distribution. Allocates nothing: the caller gives
/// scratch spans of the vocabulary's length. Every operation is in a fixed order with
/// <see cref="CpuMath"/>'s exp, so equal logits and RNG state give the same class on every machine.
/// </summary>
public static class TokenSampler
{
    /// <summary>
    /// Samples one class.
    /// temperature 0: argmax (lowest index on ties). Otherwise p_i ∝ exp((logit_i - max) / T); with
    /// top-p &lt; 1 the classes are ordered by p descending (index ascending on ties) and the draw is
    /// restricted to the shortest prefix whose mass reaches top-p (at least one class). The draw
    /// is one <see cref="Pcg32.NextFloat"/> u: the first class whose running sum exceeds u * total.
    /// The RNG advances exactly once per call unless the temperature is 0.
    /// </summary>
    /// <param name="logits">(v) one stream's logits.</param>
    /// <param name="probs">scratch, at least v floats.</param>
    /// <param name="order">scratch, at least v longs (sort keys for top-p).</param>
    /// <param name="logProb">ln p(class) under softmax(logits), temperature 1, no top-p.</param>
    public static int Sample(ReadOnlySpan<float> logits, float temperature, float topP, ref Pcg32 rng,
        Span<float> probs, Span<long> order, out double logProb)
    {
        int v = logits.Length;
        if (v == 0) throw new ArgumentException("no logits", nameof(logits));
        if (probs.Length < v || order.Length < v) throw new ArgumentException("scratch spans are shorter than the logits.");
        probs = probs[..v];

        int argmax = 0;
        float max = logits[0];
        for (int i = 1; i < v; i++) if (logits[i] > max) { max = logits[i]; argmax = i; }

        float untemperedSum = ExpShifted(logits, max, 1f, probs);
        int token;
        if (temperature <= 0f) token = argmax;
        else
        {
            float sum = temperature == 1f ? untemperedSum : ExpShifted(logits, max, 1f / temperature, probs);
            token = topP >= 1f ? Draw(probs, sum, ref rng) : DrawNucleus(probs, sum, topP, order, ref rng);
        }
        logProb = (double)logits[token] - max - Math.Log(untemperedSum);
        return token;
    }

    /// <summary>ln softmax(logits)[token] (temperature 1).</summary>
    public static double LogProbability(ReadOnlySpan<float> logits, int token, Span<float> probs)
    {
        float max = logits[0];
        for (int i = 1; i < logits.Length; i++) max = MathF.Max(max, logits[i]);
        float sum = ExpShifted(logits, max, 1f, probs[..logits.Length]);
        return (double)logits[token] - max - Math.Log(sum);
    }

    /// <summary>p[i] = exp((logits[i] - max) * scale); returns the sum in <see cref="CpuMath.Sum"/>'s order.</summary>
    private static float ExpShifted(ReadOnlySpan<float> logits, float max, float scale, Span<float> p)
    {
        int i = 0;
        // exp is the same bits lane for lane at every width, so the widest lanes serve.
        if (Vector512.IsHardwareAccelerated)
        {
            var m = Vector512.Create(max);
            var s = Vector512.Create(scale);
            for (; i + 16 <= logits.Length; i += 16)
                CpuMath.Exp(new Lanes16((Vector512.Create(logits.Slice(i, 16)) - m) * s)).Value.CopyTo(p.Slice(i, 16));
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var m = Vector256.Create(max);
            var s = Vector256.Create(scale);
            for (; i + 8 <= logits.Length; i += 8)
                CpuMath.Exp((Vector256.Create(logits.Slice(i, 8)) - m) * s).CopyTo(p.Slice(i, 8));
        }
        for (; i < logits.Length; i++) p[i] = CpuMath.Exp((logits[i] - max) * scale);
        return CpuMath.Sum(p);
    }

    /// <summary>Inverse CDF in index order.</summary>
    private static int Draw(ReadOnlySpan<float> p, float sum, ref Pcg32 rng)
    {
        float r = rng.NextFloat() * sum, c = 0f;
        int last = 0;
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] <= 0f) continue;
            c += p[i];
            last = i;
            if (r < c) return i;
        }
        return last;   // r reached the rounded total: the last class with mass
    }

    /// <summary>
    /// Top-p by partial selection: the candidates' keys (p descending, then index: a total order) go
    /// in a binary min-heap and are popped, most probable first, only until the nucleus has its mass,
    /// so a peaked distribution costs a heapify and a few pops. The popped keys collect at the end
    /// of the span (heap sort's layout), nucleus class j at order[count - 1 - j].
    /// </summary>
    private static int DrawNucleus(ReadOnlySpan<float> p, float sum, float topP, Span<long> order, ref Pcg32 rng)
    {
        // A class below (1 - top_p) / (v - 1) of the mass cannot be in the nucleus (llama2.c's cut):
        // all such classes together hold less than 1 - top_p.
        float cutoff = p.Length > 1 ? (1f - topP) / (p.Length - 1) * sum : 0f;
        int count = 0;
        for (int i = 0; i < p.Length; i++)
            if (p[i] >= cutoff)
                order[count++] = ((long)(0x7FFFFFFF - BitConverter.SingleToInt32Bits(p[i])) << 32) | (uint)i;
        var heap = order[..count];
        for (int i = count / 2 - 1; i >= 0; i--) SiftDown(heap, i, count);

        float target = topP * sum, mass = 0f;
        int size = count, n = 0;
        while (size > 0)
        {
            long top = heap[0];
            heap[0] = heap[--size];
            heap[size] = top;
            SiftDown(heap, 0, size);
            n++;
            mass += p[(int)(top & 0xFFFFFFFF)];
            if (mass >= target) break;
        }
        float r = rng.NextFloat() * mass, c = 0f;
        for (int j = 0; j < n; j++)
        {
            int index = (int)(heap[count - 1 - j] & 0xFFFFFFFF);
            c += p[index];
            if (r < c) return index;
        }
        return (int)(heap[count - n] & 0xFFFFFFFF);
    }

    private static void SiftDown(Span<long> heap, int i, int size)
    {
        long item = heap[i];
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && heap[child + 1] < heap[child]) child++;
            if (item <= heap[child]) break;
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = item;
    }
}
