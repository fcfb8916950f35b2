namespace Mamba.Audio.Plugins.BuiltIn;

/// <summary>A sine test tone: `tone hz=440 db=-12`. Frequency and level glide when changed.</summary>
public sealed class ToneGenerator() : Generator("tone", Declared)
{
    public static readonly IReadOnlyList<PluginParameter> Declared = [
        new PluginParameter("hz", 1, 20000, 440, "Hz", Smoothed: true, Description: "frequency"),
        new PluginParameter("db", -120, 0, -12, "dB", Smoothed: true, Description: "level (dB full scale)")];

    private double phase;
    private SmoothedValue hz, gain;

    protected override void OnPrepare(StreamFormat format)
    {
        int ramp = (int)(format.SampleRate * SmoothingSeconds);
        hz = new SmoothedValue(Value(0), ramp);
        gain = new SmoothedValue(Decibels.ToGain(Value(1)), ramp);
    }

    public override void Generate(Span<float> output)
    {
        hz.SetTarget(Value(0));
        gain.SetTarget(Decibels.ToGain(Value(1)));
        double rate = Format!.SampleRate;
        for (int i = 0; i < output.Length; i++)
        {
            output[i] = (float)(gain.Next() * Math.Sin(phase));
            phase += 2 * Math.PI * hz.Next() / rate;
            if (phase > 2 * Math.PI) phase -= 2 * Math.PI;
        }
    }
}
