using Mamba.Audio.Plugins;
using Mamba.Audio.Plugins.BuiltIn;
using Mamba.Audio.Resampling;

namespace Mamba.Audio.Native;

/// <summary>
/// What the plugin runs, for LADSPA and LV2 alike: the Mamba generator and its continue mode on the
/// CPU engine, at the model's rate inside the host's (<see cref="RateBridge"/>), with the controls of
/// <see cref="VoicePorts"/>. Everything that allocates or loads happens in the constructor, which
/// also runs the engine once so that the first block is as fast as the rest; <see cref="Run"/>
/// allocates nothing, takes no lock and waits on nothing. A seed change restarts the stream: what
/// follows is render's take for that seed.
/// </summary>
public sealed class MambaVoice : IInnerBlock, IDisposable
{
    /// <summary>The largest host block run at once; a longer run() is done in parts.</summary>
    public const int MaxHostBlock = 4096;

    private readonly MambaGenerator generator;
    private readonly MambaContinuation continuation;
    private readonly RateBridge bridge;
    private readonly float[] dry;
    private readonly float[] controls = VoicePorts.All.Select(p => p.Default).ToArray();
    private ulong seed;
    private int mode;
    private float gain = 1;

    public MambaVoice(string checkpoint, int hostRate)
    {
        generator = new MambaGenerator(checkpoint, 1);
        try
        {
            continuation = new MambaContinuation(checkpoint, 1, 4);
            ModelRate = generator.SampleRate;
            HostRate = hostRate;
            bridge = new RateBridge(hostRate, ModelRate, MaxHostBlock);
            int innerMax = bridge.MaxInnerBlock(MaxHostBlock);
            var format = new StreamFormat(ModelRate, innerMax);
            generator.Prepare(format);
            continuation.Prepare(format);
            dry = new float[innerMax];
            // Warm the engine (caches, first-touch pages, the resamplers' buffers), then start clean.
            var warm = new float[innerMax];
            generator.Generate(warm);
            continuation.Process(warm);
            Restart(1);
        }
        catch
        {
            generator.Dispose();
            continuation?.Dispose();
            throw;
        }
    }

    public int ModelRate { get; }
    public int HostRate { get; }

    /// <summary>Samples at the host's rate between the input and the output it shapes (0 at the model's rate).</summary>
    public int LatencySamples => bridge.LatencySamples;

    /// <summary>Host samples the rate bridge could not fill (late filters; 0 in normal running).</summary>
    public long ShortSamples => bridge.ShortSamples;

    /// <summary>Sets a control by port index (out-of-range values are clamped, as a host may send anything). Any thread between runs.</summary>
    public void Set(int port, float value)
    {
        var p = VoicePorts.All[port];
        controls[port] = float.IsFinite(value) ? Math.Clamp(value, p.Min, p.Max) : p.Default;
    }

    /// <summary>Back to the start with the current seed (a host's activate()).</summary>
    public void Activate() => Restart((ulong)controls[VoicePorts.Seed]);

    private void Restart(ulong newSeed)
    {
        seed = newSeed;
        generator.Restart(seed);
        continuation.Restart(seed);
        bridge.Reset();
    }

    /// <summary>One host block: <paramref name="output"/> from <paramref name="input"/> (same length; they may be the same buffer).</summary>
    public void Run(ReadOnlySpan<float> input, Span<float> output)
    {
        ulong wanted = (ulong)controls[VoicePorts.Seed];
        if (wanted != seed) Restart(wanted);
        generator.Set("temperature", controls[VoicePorts.Temperature]);
        generator.Set("top_p", controls[VoicePorts.TopP]);
        continuation.Set("temperature", controls[VoicePorts.Temperature]);
        continuation.Set("top_p", controls[VoicePorts.TopP]);
        mode = (int)controls[VoicePorts.Mode];
        gain = Decibels.ToGain(controls[VoicePorts.GainDb]);
        bridge.Process(input, output, this);
    }

    /// <summary>The model-rate block, the input in it: replaced by what the mode makes of it.</summary>
    void IInnerBlock.Process(Span<float> block)
    {
        switch (mode)
        {
            case VoicePorts.ModeContinue:
                continuation.Process(block);
                Scale(block, gain);
                break;
            case VoicePorts.ModeMix:
                block.CopyTo(dry);
                generator.Generate(block);
                Scale(block, gain);
                for (int i = 0; i < block.Length; i++) block[i] += dry[i];
                break;
            default:
                generator.Generate(block);
                Scale(block, gain);
                break;
        }
    }

    private static void Scale(Span<float> block, float by)
    {
        if (by == 1) return;
        for (int i = 0; i < block.Length; i++) block[i] *= by;
    }

    public void Dispose()
    {
        generator.Dispose();
        continuation.Dispose();
    }
}
