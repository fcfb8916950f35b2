namespace Mamba.Audio.Plugins.BuiltIn;

/// <summary>
/// `limiter ceiling=-1 release=100`: a peak limiter with instant attack, so nothing leaves the chain
/// above the ceiling (a model's burst or a resonant filter cannot clip the sound card).
/// </summary>
public sealed class LimiterEffect() : Effect("limiter", Declared)
{
    public static readonly IReadOnlyList<PluginParameter> Declared = [
        new PluginParameter("ceiling", -24, 0, -1, "dB", Description: "highest output peak"),
        new PluginParameter("release", 1, 2000, 100, "ms", Description: "time to recover 63% of the gain")];

    private float gain = 1;

    public override void Process(Span<float> block)
    {
        float ceiling = Decibels.ToGain(Value(0));
        float release = 1 - MathF.Exp(-1000f / (Value(1) * Format!.SampleRate));
        for (int i = 0; i < block.Length; i++)
        {
            float peak = MathF.Abs(block[i]);
            float target = peak > ceiling ? ceiling / peak : 1;          // the gain that keeps this sample under the ceiling
            gain = target < gain ? target : gain + (target - gain) * release;   // down at once, up slowly (never past the target)
            block[i] *= gain;
        }
    }
}
