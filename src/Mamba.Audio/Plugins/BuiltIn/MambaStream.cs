using Mamba.Core.Checkpoints;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Sampling;

namespace Mamba.Audio.Plugins.BuiltIn;

/// <summary>
/// One stream of a checkpoint on the CPU engine, as render opens it (one slot, the seed, temperature
/// and top-p 1): what the mamba and continue plugins generate with. Temperature and top-p change
/// between blocks when their parameters moved; the random sequence goes on (no reseed).
/// </summary>
internal sealed class MambaStream : IDisposable
{
    private readonly CpuStepEngine engine;
    private readonly int slot;
    private ulong seed;
    private float temperature = 1, topP = 1;

    public MambaStream(string checkpoint, ulong seed, int threads)
    {
        var loaded = MambaCheckpoint.Load(checkpoint);
        SampleRate = loaded.SampleRate;
        this.seed = seed;
        engine = new CpuStepEngine(new CpuWeights(loaded), 1, new CpuEngineOptions(threads));
        slot = engine.Open(new SamplingSettings(temperature, topP, seed));
    }

    /// <summary>The rate the model was trained at.</summary>
    public int SampleRate { get; }

    public void SetSampling(float newTemperature, float newTopP)
    {
        if (newTemperature == temperature && newTopP == topP) return;
        engine.SetSampling(slot, new SamplingSettings(newTemperature, newTopP, seed), reseed: false);
        (temperature, topP) = (newTemperature, newTopP);
    }

    /// <summary>Starts the stream again as if just opened with <paramref name="newSeed"/> (zeroed state, the RNG reseeded); allocates nothing.</summary>
    public void Restart(ulong newSeed)
    {
        Span<byte> silence = stackalloc byte[1] { MuLaw.Silence };
        engine.Prime(slot, silence);
        seed = newSeed;
        engine.SetSampling(slot, new SamplingSettings(temperature, topP, seed), reseed: true);
    }

    /// <summary>Restarts the stream from a prompt (step priming, as render --prompt on the CPU engine).</summary>
    public void Prime(ReadOnlySpan<byte> prompt) => engine.Prime(slot, prompt);

    /// <summary>The next <c>output.Length</c> samples, through <paramref name="classes"/> (at least as long; allocated by the caller once).</summary>
    public void Generate(Span<float> output, byte[] classes)
    {
        var block = classes.AsSpan(0, output.Length);
        engine.Generate(output.Length, block);
        MuLaw.Decode(block, output);
    }

    public void Dispose() => engine.Dispose();
}
