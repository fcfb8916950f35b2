namespace Mamba.Audio.Plugins.BuiltIn;

/// <summary>`gain db=-6`: a level change that glides over 10 ms, so turning it while audio plays does not click.</summary>
public sealed class GainEffect() : Effect("gain", Declared)
{
    public static readonly IReadOnlyList<PluginParameter> Declared = [new PluginParameter("db", -120, 24, 0, "dB", Smoothed: true, Description: "gain")];

    private SmoothedValue gain;

    protected override void OnPrepare(StreamFormat format) =>
        gain = new SmoothedValue(Decibels.ToGain(Value(0)), (int)(format.SampleRate * SmoothingSeconds));

    public override void Process(Span<float> block)
    {
        gain.SetTarget(Decibels.ToGain(Value(0)));
        for (int i = 0; i < block.Length; i++) block[i] *= gain.Next();
    }
}
