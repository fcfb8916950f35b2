namespace Mamba.Audio.Resampling;

/// <summary>What runs inside a <see cref="RateBridge"/>: a block at the inner rate, its input in place, replaced by the output.</summary>
public interface IInnerBlock
{
    void Process(Span<float> block);
}

/// <summary>
/// Runs an inner process at its own rate (a model's 16 kHz) inside a stream at another (a host's
/// 48 kHz), block for block: the host's input goes to the inner rate, the inner process runs in
/// place, its output comes back to the host's rate, through two <see cref="StreamingSincResampler"/>s.
/// Both keep time exactly, but each gives a sample only once half its taps of input lie beyond it;
/// a FIFO primed with <see cref="LatencySamples"/> of silence covers that wait, so each host block
/// gets exactly its length back, delayed by exactly that much. A FIFO that ran short anyway gives
/// silence and counts it (<see cref="ShortSamples"/>). Every buffer is made by the constructor; a
/// block allocates nothing.
/// Equal rates run the inner process on the host's samples directly, with no latency.
/// </summary>
public sealed class RateBridge
{
    private readonly StreamingSincResampler? down, up;
    private readonly int maxBlock;
    private readonly float[] inner = [], converted = [], fifo = [];
    private int fifoStart, fifoCount;

    /// <param name="maxBlock">The largest host block <see cref="Process"/> takes at once; longer ones are run in parts.</param>
    public RateBridge(int hostRate, int innerRate, int maxBlock)
    {
        if (hostRate <= 0 || innerRate <= 0 || maxBlock <= 0) throw new ArgumentOutOfRangeException(nameof(hostRate), "rates and block must be positive.");
        this.maxBlock = maxBlock;
        if (hostRate == innerRate) return;
        down = new StreamingSincResampler(hostRate, innerRate, maxBlock);
        inner = new float[down.MaxOutput(maxBlock)];
        up = new StreamingSincResampler(innerRate, hostRate, inner.Length);
        converted = new float[up.MaxOutput(inner.Length)];
        // The wait: half the taps at the host's rate (down), half at the inner rate seen at the host's (up), and rounding.
        LatencySamples = (int)Math.Ceiling(StreamingSincResampler.Half + StreamingSincResampler.Half * (double)hostRate / innerRate) + 2;
        fifo = new float[LatencySamples + maxBlock + converted.Length];
        Reset();
    }

    /// <summary>The longest inner block <see cref="Process"/> hands to the inner process for host blocks of at most <paramref name="maxHostBlock"/>.</summary>
    public int MaxInnerBlock(int maxHostBlock) => down is null ? maxHostBlock : inner.Length;

    /// <summary>Samples, at the host's rate, between a host input sample and the output it gives: the FIFO's priming.</summary>
    public int LatencySamples { get; }

    /// <summary>Host output samples that found the FIFO empty and were silence (0 unless the filters fell further behind than primed for).</summary>
    public long ShortSamples { get; private set; }

    /// <summary>Converted samples that found the FIFO full and were dropped (0: it holds the priming, a block and a block's conversion).</summary>
    public long DroppedSamples { get; private set; }

    /// <summary>Back to the start: filters and FIFO emptied, the FIFO primed again.</summary>
    public void Reset()
    {
        down?.Reset();
        up?.Reset();
        Array.Clear(fifo);
        (fifoStart, fifoCount) = (0, LatencySamples);
    }

    /// <summary><paramref name="output"/>[i] for <paramref name="input"/>[i] (the same length; they may be the same memory), through <paramref name="process"/> at the inner rate.</summary>
    public void Process(ReadOnlySpan<float> input, Span<float> output, IInnerBlock process)
    {
        if (input.Length != output.Length) throw new ArgumentException("input and output blocks differ in length.");
        if (down is null)
        {
            input.CopyTo(output);
            for (int done = 0; done < output.Length; done += maxBlock) process.Process(output.Slice(done, Math.Min(maxBlock, output.Length - done)));
            return;
        }
        for (int done = 0; done < input.Length; done += maxBlock)
        {
            int n = Math.Min(maxBlock, input.Length - done);
            int m = down.Process(input.Slice(done, n), inner);
            process.Process(inner.AsSpan(0, m));
            Push(inner.AsSpan(0, m));
            Pop(output.Slice(done, n));
        }
    }

    private void Push(ReadOnlySpan<float> innerBlock)
    {
        int made = up!.Process(innerBlock, converted);
        if (made > fifo.Length - fifoCount)
        {
            // Cannot happen with the sizes above; on the audio path it is counted, not thrown.
            DroppedSamples += made - (fifo.Length - fifoCount);
            made = fifo.Length - fifoCount;
        }
        int end = (fifoStart + fifoCount) % fifo.Length;
        int first = Math.Min(made, fifo.Length - end);
        converted.AsSpan(0, first).CopyTo(fifo.AsSpan(end));
        converted.AsSpan(first, made - first).CopyTo(fifo);
        fifoCount += made;
    }

    private void Pop(Span<float> output)
    {
        int n = Math.Min(output.Length, fifoCount);
        int first = Math.Min(n, fifo.Length - fifoStart);
        fifo.AsSpan(fifoStart, first).CopyTo(output);
        fifo.AsSpan(0, n - first).CopyTo(output[first..]);
        fifoStart = (fifoStart + n) % fifo.Length;
        fifoCount -= n;
        if (n < output.Length)
        {
            output[n..].Clear();
            ShortSamples += output.Length - n;
        }
    }
}
