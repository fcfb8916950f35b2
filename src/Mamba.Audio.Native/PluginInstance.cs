using System.Runtime.InteropServices;

namespace Mamba.Audio.Native;

/// <summary>
/// One instance as a LADSPA or LV2 host sees it: the ports it connected (raw pointers into the host's
/// buffers) and the voice, or no voice when the checkpoint could not be loaded, in which case it plays
/// silence (the message was said once, when it was made). A fault in run() gives silence from then on
/// and is said at deactivate or cleanup, off the audio thread. Under LV2 with urid:map it also takes
/// the checkpoint as a parameter: a patch:Set on the control port is loaded by a
/// <see cref="CheckpointLoader"/> and swapped in at a block's start; state restore loads it directly.
/// </summary>
internal sealed unsafe class PluginInstance : IDisposable
{
    private readonly float*[] ports = new float*[VoicePorts.Lv2Control + 1];
    private readonly float[] zeros = new float[MambaVoice.MaxHostBlock];
    private readonly int hostRate;
    private MambaVoice? voice;
    private string? path;
    private Exception? fault;
    private bool faultSaid;

    private PluginInstance(MambaVoice? voice, int hostRate, string? path) => (this.voice, this.hostRate, this.path) = (voice, hostRate, path);

    /// <summary>The URIDs of the checkpoint parameter (LV2 with urid:map), else null.</summary>
    public Lv2.Lv2Patch? Patch { get; private init; }

    private CheckpointLoader? Loader { get; init; }

    /// <summary>The checkpoint playing (null when none loaded); read off the audio thread.</summary>
    public string? CheckpointPath => Volatile.Read(ref path);

    /// <summary>Loads the checkpoint and warms the engine; on failure, an instance that plays silence, and one message.</summary>
    /// <param name="lv2Features">LV2's feature array (urid:map enables the checkpoint parameter); 0 for LADSPA.</param>
    public static PluginInstance Create(double sampleRate, string? lv2Bundle, nint lv2Features = 0)
    {
        var (path, why) = CheckpointLocation.Find(lv2Bundle);
        var patch = lv2Bundle is null ? null : Lv2.Lv2Patch.From(lv2Features);
        if (!(sampleRate >= 1000 && sampleRate <= 384000) || sampleRate != Math.Round(sampleRate))
        {
            VoiceMessages.Say($"the host asks for {sampleRate} Hz; the plugin runs at whole rates of 1000..384000 Hz. It plays silence.");
            return new PluginInstance(null, 48000, null);
        }
        int rate = (int)sampleRate;
        MambaVoice? voice = null;
        try
        {
            voice = new MambaVoice(path, rate);
        }
        catch (Exception e)
        {
            VoiceMessages.Say($"cannot load the checkpoint '{path}' ({why}): {e.Message}. The plugin plays silence" +
                (patch is null ? $"; set {CheckpointLocation.Variable} to a checkpoint folder written by mamba-audio." : $" until the host sets its checkpoint parameter (or {CheckpointLocation.Variable})."));
        }
        return new PluginInstance(voice, rate, voice is null ? null : path) { Patch = patch, Loader = patch is null ? null : new CheckpointLoader(rate) };
    }

    /// <summary>LV2 state restore (not concurrent with run): loads <paramref name="checkpoint"/> now; on failure the voice playing stays.</summary>
    public bool Restore(string checkpoint)
    {
        try
        {
            var loaded = new MambaVoice(checkpoint, hostRate);
            voice?.Dispose();
            voice = loaded;
            path = checkpoint;
            ReadControls();
            voice.Activate();
            return true;
        }
        catch (Exception e)
        {
            VoiceMessages.Say($"cannot restore the checkpoint '{checkpoint}': {e.Message}. The checkpoint playing goes on.");
            return false;
        }
    }

    public static nint ToHandle(PluginInstance instance) => GCHandle.ToIntPtr(GCHandle.Alloc(instance));

    public static PluginInstance FromHandle(nint handle) => (PluginInstance)GCHandle.FromIntPtr(handle).Target!;

    public static void Free(nint handle)
    {
        var gc = GCHandle.FromIntPtr(handle);
        ((PluginInstance)gc.Target!).Dispose();
        gc.Free();
    }

    public void Connect(uint port, float* data)
    {
        if (port < ports.Length) ports[port] = data;
    }

    public void Activate()
    {
        SayFault();
        if (voice is null) return;
        ReadControls();
        voice.Activate();
    }

    public void Deactivate() => SayFault();

    /// <summary>run(): no allocation, lock or wait; a fault is kept, not thrown into the host.</summary>
    public void Run(uint count)
    {
        float* output = ports[VoicePorts.Output];
        if (output == null) return;
        int n = (int)Math.Min(count, int.MaxValue);
        try
        {
            if (Loader is not null)
            {
                Patch!.Read((byte*)ports[VoicePorts.Lv2Control], Loader);
                if (Loader.TakeLoaded() is { } next)
                {
                    Loader.Retire(voice);
                    voice = next.Voice;
                    Volatile.Write(ref path, next.Path);
                    ReadControls();
                    voice.Activate();   // the new checkpoint starts its take for the seed
                }
            }
            if (voice is null || fault is not null)
            {
                new Span<float>(output, n).Clear();
                return;
            }
            ReadControls();
            float* input = ports[VoicePorts.Input];
            for (int done = 0; done < n; done += MambaVoice.MaxHostBlock)
            {
                int part = Math.Min(MambaVoice.MaxHostBlock, n - done);
                ReadOnlySpan<float> inBlock = input != null ? new ReadOnlySpan<float>(input + done, part) : zeros.AsSpan(0, part);
                voice.Run(inBlock, new Span<float>(output + done, part));
            }
            if (ports[VoicePorts.Latency] != null) *ports[VoicePorts.Latency] = voice.LatencySamples;
        }
        catch (Exception e)
        {
            fault = e;
            new Span<float>(output, n).Clear();
        }
    }

    private void ReadControls()
    {
        if (voice is null) return;
        for (int port = VoicePorts.Temperature; port <= VoicePorts.Mode; port++)
            if (ports[port] != null) voice!.Set(port, *ports[port]);
    }

    private void SayFault()
    {
        if (fault is null || faultSaid) return;
        faultSaid = true;
        VoiceMessages.Say($"run() failed and plays silence from then on: {fault.GetType().Name}: {fault.Message}");
    }

    public void Dispose()
    {
        SayFault();
        Loader?.Dispose();
        voice?.Dispose();
    }
}
