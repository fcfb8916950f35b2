using Mamba.Audio.Plugins;

namespace Samples.BitCrusher;

/// <summary>
/// `bitcrush bits=6 hold=4 mix=1`: fewer bits and a lower effective rate, the sound of early samplers.
/// A plugin is a public class deriving Generator, Effect or Sink with a public parameterless
/// constructor; its name and parameters are what it passes to the base class.
/// </summary>
public sealed class BitCrusherEffect() : Effect("bitcrush", [
    new PluginParameter("bits", 1, 16, 8, "bits", Description: "resolution kept"),
    new PluginParameter("hold", 1, 64, 1, "samples", Description: "each kept sample is held this long"),
    new PluginParameter("mix", 0, 1, 1, "", Smoothed: true, Description: "share of the crushed signal")])
{
    private float held;
    private int count;
    private SmoothedValue mix;

    protected override void OnPrepare(StreamFormat format) => mix = new SmoothedValue(Value(2), (int)(format.SampleRate * SmoothingSeconds));

    public override void Process(Span<float> block)
    {
        float steps = MathF.Pow(2, MathF.Round(Value(0)) - 1);
        int hold = (int)Value(1);
        mix.SetTarget(Value(2));
        for (int i = 0; i < block.Length; i++)
        {
            if (count++ % hold == 0) held = MathF.Round(block[i] * steps) / steps;
            float m = mix.Next();
            block[i] = block[i] * (1 - m) + held * m;
        }
    }
}
