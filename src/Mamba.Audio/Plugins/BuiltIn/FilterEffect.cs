using NAudio.Dsp;

namespace Mamba.Audio.Plugins.BuiltIn;

/// <summary>
/// `lowpass hz=2000 q=0.707` and `highpass hz=80`: NAudio's RBJ biquads. A cutoff change recomputes
/// the coefficients at the next block and keeps the filter's state, so it sweeps without a click.
/// </summary>
public sealed class FilterEffect : Effect
{
    private readonly bool lowpass;
    private BiQuadFilter? filter;
    private float appliedHz, appliedQ;

    private FilterEffect(string name, bool lowpass) : base(name, Declared(lowpass))
    {
        this.lowpass = lowpass;
    }

    public static IReadOnlyList<PluginParameter> Declared(bool lowpass) => [
        new PluginParameter("hz", 10, 20000, lowpass ? 4000 : 80, "Hz", Description: "cutoff frequency"),
        new PluginParameter("q", 0.1f, 20, 0.7071f, "", Description: "resonance (0.707: Butterworth)")];

    public static FilterEffect LowPass() => new("lowpass", true);
    public static FilterEffect HighPass() => new("highpass", false);

    protected override void OnPrepare(StreamFormat format)
    {
        appliedHz = Clamp(Value(0));
        appliedQ = Value(1);
        filter = lowpass ? BiQuadFilter.LowPassFilter(format.SampleRate, appliedHz, appliedQ) : BiQuadFilter.HighPassFilter(format.SampleRate, appliedHz, appliedQ);
    }

    public override void Process(Span<float> block)
    {
        float hz = Clamp(Value(0)), q = Value(1);
        if (hz != appliedHz || q != appliedQ)
        {
            if (lowpass) filter!.SetLowPassFilter(Format!.SampleRate, hz, q);
            else filter!.SetHighPassFilter(Format!.SampleRate, hz, q);
            (appliedHz, appliedQ) = (hz, q);
        }
        for (int i = 0; i < block.Length; i++) block[i] = filter!.Transform(block[i]);
    }

    /// <summary>A cutoff at or above Nyquist has no meaning: held just below it.</summary>
    private float Clamp(float hz) => Math.Min(hz, 0.45f * (Format?.SampleRate ?? 48000));
}
