using Mamba.Core.Engines;
using Mamba.Core.Sampling;

namespace Mamba.Audio.Plugins.BuiltIn;

/// <summary>Temperature and top-p of an engine's stream, changed between blocks when the parameters moved; the random sequence goes on (no reseed).</summary>
internal sealed class LiveSampling(IStepEngine engine, int slot, ulong seed)
{
    private float temperature = 1, topP = 1;

    public void Apply(float newTemperature, float newTopP)
    {
        if (newTemperature == temperature && newTopP == topP) return;
        engine.SetSampling(slot, new SamplingSettings(newTemperature, newTopP, seed), reseed: false);
        (temperature, topP) = (newTemperature, newTopP);
    }
}
