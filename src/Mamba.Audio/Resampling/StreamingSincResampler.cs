namespace Mamba.Audio.Resampling;

/// <summary>
/// A windowed-sinc resampler for the audio path: fed blocks of input, it returns every output sample
/// the input so far determines, and allocates nothing after it is made (NAudio's WDL resampler
/// resizes its input buffer on most calls, so it cannot run there). 256 taps at the input rate,
/// Blackman-Harris window (as <see cref="MonoResampler"/>'s WDL sinc), cutoff at the lower Nyquist
/// (3% under it when downsampling), tabulated 32 times per tap and interpolated linearly.
/// Output sample k is the input's value at time k x inRate / outRate, computed in exact integer
/// steps, so nothing drifts over hours; it is ready once the input reaches half the taps beyond it.
/// </summary>
public sealed class StreamingSincResampler
{
    public const int Taps = 256, Oversample = 32, Half = Taps / 2;

    private readonly int inRate, outRate;
    private readonly float[] table;       // kernel at (t + Half) x Oversample for t in [-Half, Half], one extra for interpolation
    private readonly float[] history;     // input, oldest first; history[0] is input sample `origin`
    private long origin;                  // input index of history[0] (starts at -Half: zeros before the first sample)
    private int filled;                   // samples in history
    private long index;                   // floor of the next output's input time
    private long remainder;               // (its input time - index) x outRate, in [0, outRate)

    /// <param name="maxInput">The longest block <see cref="Process"/> takes.</param>
    public StreamingSincResampler(int inRate, int outRate, int maxInput)
    {
        if (inRate <= 0 || outRate <= 0 || maxInput <= 0) throw new ArgumentOutOfRangeException(nameof(inRate), "rates and block must be positive.");
        (this.inRate, this.outRate) = (inRate, outRate);
        double cutoff = outRate >= inRate ? 1.0 : outRate / (inRate * 1.03);
        table = new float[Taps * Oversample + 2];
        for (int i = 0; i < table.Length; i++)
        {
            double t = (double)i / Oversample - Half;
            double w = Math.Clamp((t + Half) / Taps, 0, 1) * 2 * Math.PI;
            double window = 0.35875 - 0.48829 * Math.Cos(w) + 0.14128 * Math.Cos(2 * w) - 0.01168 * Math.Cos(3 * w);
            double x = Math.PI * cutoff * t;
            table[i] = (float)(cutoff * (t == 0 ? 1 : Math.Sin(x) / x) * window);
        }
        // Unit gain at DC: the taps of one output sum to 1 (averaged over the sub-sample positions).
        double sum = 0;
        for (int i = 0; i < Taps * Oversample; i++) sum += table[i];
        float scale = (float)(Oversample / sum);
        for (int i = 0; i < table.Length; i++) table[i] *= scale;
        history = new float[maxInput + Taps + 2];
        MaxInput = maxInput;
        Reset();
    }

    public int MaxInput { get; }

    /// <summary>The most outputs one <see cref="Process"/> of <paramref name="inputs"/> samples can give.</summary>
    public int MaxOutput(int inputs) => (int)((long)(inputs + Taps) * outRate / inRate) + 2;

    /// <summary>Back to the start: the input before the first sample is silence.</summary>
    public void Reset()
    {
        Array.Clear(history);
        origin = -Half;
        filled = Half;
        index = 0;
        remainder = 0;
    }

    /// <summary>Takes <paramref name="input"/> (at most <see cref="MaxInput"/>) and writes the outputs it completes; returns how many.</summary>
    public int Process(ReadOnlySpan<float> input, Span<float> output)
    {
        if (input.Length > MaxInput) throw new ArgumentException($"block of {input.Length}: at most {MaxInput}.");
        input.CopyTo(history.AsSpan(filled));
        filled += input.Length;
        long available = origin + filled;   // input samples known: indices below this
        int made = 0;
        while (index + Half < available && made < output.Length)
        {
            // Taps m = index - Half + 1 .. index + Half; t = (index - m) + fraction runs from Half - 1 + fraction down to -Half + fraction.
            double fraction = (double)remainder / outRate;
            double u = (Half - 1 + fraction + Half) * Oversample;   // table position of the first tap, then Oversample less per tap
            int start = (int)u;
            float a = (float)(u - start);
            int first = (int)(index - Half + 1 - origin);
            float acc = 0;
            for (int j = 0; j < Taps; j++)
            {
                int k = start - j * Oversample;
                acc += history[first + j] * (table[k] + a * (table[k + 1] - table[k]));
            }
            output[made++] = acc;
            remainder += inRate;
            index += remainder / outRate;
            remainder %= outRate;
        }
        // Keep what the next outputs still need: from index - Half + 1 on.
        int drop = (int)Math.Clamp(index - Half + 1 - origin, 0, filled);
        if (drop > 0)
        {
            history.AsSpan(drop, filled - drop).CopyTo(history);
            filled -= drop;
            origin += drop;
        }
        return made;
    }
}
