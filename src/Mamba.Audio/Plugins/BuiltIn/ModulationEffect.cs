using NWaves.Effects;
using NWaves.Effects.Base;

namespace Mamba.Audio.Plugins.BuiltIn;

/// <summary>
/// `chorus rate=1.2 width_ms=8 mix=0.5` and `flanger rate=0.3 width_ms=3 depth=0.7 feedback=0.4 mix=0.5`:
/// NWaves' chorus (three voices, LFOs at rate x 1, 1.31, 1.73) and flanger, sample by sample. A changed
/// setting is applied at the next block (NWaves rebuilds its LFO then: that happens on the generator
/// thread, never on the device thread).
/// </summary>
public sealed class ModulationEffect : Effect
{
    private readonly bool flanger;
    private AudioEffect? effect;
    private float[] applied = [];

    private ModulationEffect(string name, bool flanger, IReadOnlyList<PluginParameter> parameters) : base(name, parameters) => this.flanger = flanger;

    public static readonly IReadOnlyList<PluginParameter> ChorusParameters = [
        new PluginParameter("rate", 0.05f, 10, 1.2f, "Hz", Description: "LFO rate of the first voice"),
        new PluginParameter("width_ms", 0.5f, 30, 8, "ms", Description: "largest delay swing"),
        new PluginParameter("mix", 0, 1, 0.5f, "", Description: "share of the effect in the output")];

    public static readonly IReadOnlyList<PluginParameter> FlangerParameters = [
        new PluginParameter("rate", 0.02f, 10, 0.3f, "Hz", Description: "LFO rate"),
        new PluginParameter("width_ms", 0.1f, 10, 3, "ms", Description: "largest delay swing"),
        new PluginParameter("depth", 0, 1, 0.7f, "", Description: "depth of the comb"),
        new PluginParameter("feedback", 0, 0.95f, 0.4f, "", Description: "share fed back"),
        new PluginParameter("mix", 0, 1, 0.5f, "", Description: "share of the effect in the output")];

    public static ModulationEffect Chorus() => new("chorus", false, ChorusParameters);
    public static ModulationEffect Flanger() => new("flanger", true, FlangerParameters);

    protected override void OnPrepare(StreamFormat format)
    {
        applied = new float[Parameters.Count];
        Rebuild(format.SampleRate);
    }

    private void Rebuild(int rate)
    {
        for (int i = 0; i < applied.Length; i++) applied[i] = Value(i);
        float mix = Value(Parameters.Count - 1);
        effect = flanger
            ? new FlangerEffect(rate, Value(0), Value(1) / 1000, Value(2), Value(3), false, NWaves.Utils.InterpolationMode.Linear, 0.011f)
            : new ChorusEffect(rate, [Value(0), Value(0) * 1.31f, Value(0) * 1.73f], [Value(1) / 1000, Value(1) / 1000, Value(1) / 1000]);
        effect.Wet = mix;
        effect.Dry = 1 - mix;
    }

    public override void Process(Span<float> block)
    {
        for (int i = 0; i < applied.Length; i++)
            if (Value(i) != applied[i])
            {
                if (i == applied.Length - 1)                  // the first setting that moved is the mix: nothing else did
                {
                    applied[i] = Value(i);               // only the mix moved: no rebuild
                    effect!.Wet = applied[i];
                    effect.Dry = 1 - applied[i];
                }
                else Rebuild(Format!.SampleRate);
                break;
            }
        for (int i = 0; i < block.Length; i++) block[i] = effect!.Process(block[i]);
    }
}
