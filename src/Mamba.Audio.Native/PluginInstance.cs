using System.Runtime.InteropServices;

namespace Mamba.Audio.Native;

/// <summary>
/// One instance as a LADSPA or LV2 host sees it: the ports it connected (raw pointers into the host's
/// buffers) and the voice, or no voice when the checkpoint could not be loaded, in which case it plays
/// silence (the message was said once, when it was made). A fault in run() gives silence from then on
/// and is said at deactivate or cleanup, off the audio thread.
/// </summary>
internal sealed unsafe class PluginInstance : IDisposable
{
    private readonly float*[] ports = new float*[VoicePorts.All.Count];
    private readonly MambaVoice? voice;
    private readonly float[] zeros = new float[MambaVoice.MaxHostBlock];
    private Exception? fault;
    private bool faultSaid;

    private PluginInstance(MambaVoice? voice) => this.voice = voice;

    /// <summary>Loads the checkpoint and warms the engine; on failure, an instance that plays silence, and one message.</summary>
    public static PluginInstance Create(double sampleRate, string? lv2Bundle)
    {
        var (path, why) = CheckpointLocation.Find(lv2Bundle);
        try
        {
            if (!(sampleRate >= 1000 && sampleRate <= 384000) || sampleRate != Math.Round(sampleRate))
                throw new ArgumentException($"the host asks for {sampleRate} Hz; the plugin runs at whole rates of 1000..384000 Hz");
            return new PluginInstance(new MambaVoice(path, (int)sampleRate));
        }
        catch (Exception e)
        {
            VoiceMessages.Say($"cannot load the checkpoint '{path}' ({why}): {e.Message}. The plugin plays silence; set {CheckpointLocation.Variable} to a checkpoint folder written by mamba-audio.");
            return new PluginInstance(null);
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
        voice?.Dispose();
    }
}
