using System.Runtime.InteropServices;

namespace Mamba.Audio.Plugins.Lv2;

/// <summary>
/// An LV2 plugin as a chain effect: `lv2 uri=http://plugin.org.uk/swh-plugins/amp gain=-6`. Its input
/// control ports are the effect's parameters, named by their symbols, with the ranges and defaults of
/// its description; the chain's mono block goes to every audio input and the first audio output comes
/// back; CV inputs read zeros, outputs it does not use are computed into scratch. Instantiated through
/// lilv, connected and activated in Prepare, into native buffers allocated once; each block writes the
/// controls, copies in, runs, copies out. LV2 runs in the host's address space, as in every LV2 host.
/// </summary>
public sealed unsafe class Lv2Effect : Effect
{
    private readonly Lv2Plugin plugin;
    private readonly Lv2Port[] controls;
    private Lv2FeatureSet? features;
    private Lilv.Instance* instance;
    private float* portValues, input, output, scratch, zeros;
    private int maxBlock;
    private delegate* unmanaged[Cdecl]<nint, uint, void> run;

    public Lv2Effect(Lv2Plugin plugin, int sampleRate) : base($"lv2:{ShortName(plugin.Uri)}", ParametersOf(plugin, sampleRate))
    {
        if (plugin.Problem() is { } problem) throw new ArgumentException($"lv2 uri={plugin.Uri}: {problem}.");
        this.plugin = plugin;
        controls = plugin.ControlInputs.ToArray();
        SampleRate = sampleRate;
    }

    /// <summary>The rate the parameters' ranges were computed for.</summary>
    public int SampleRate { get; }

    public Lv2Plugin Plugin => plugin;

    /// <summary>What the plugin's latency port reports once it runs (0 when it has none).</summary>
    public override int LatencySamples => plugin.LatencyPort is int port && portValues != null ? Math.Max(0, (int)portValues[port]) : 0;

    /// <summary>What an output control port (a meter, a reported value) held after the last block; NaN before the first.</summary>
    public float Reading(string symbol)
    {
        var port = plugin.Ports.FirstOrDefault(p => p.Symbol == symbol && p.Kind == Lv2PortKind.Control && !p.IsInput)
            ?? throw new ArgumentException($"{Name} has no output control '{symbol}'; it has {string.Join(", ", plugin.Ports.Where(p => p.Kind == Lv2PortKind.Control && !p.IsInput).Select(p => p.Symbol).DefaultIfEmpty("none"))}.");
        return portValues == null ? float.NaN : portValues[port.Index];
    }

    public static IReadOnlyList<PluginParameter> ParametersOf(Lv2Plugin plugin, int sampleRate) =>
        plugin.ControlInputs.Select(p => p.ToParameter(sampleRate)).ToList();

    private static string ShortName(string uri) => uri.TrimEnd('/').Split('/', '#')[^1];

    protected override void OnPrepare(StreamFormat format)
    {
        if (format.SampleRate != SampleRate) throw new ArgumentException($"{Name}: made for {SampleRate} Hz, the chain runs at {format.SampleRate} Hz.");
        maxBlock = format.MaxBlock;
        features = Lv2Features.For(format.SampleRate, maxBlock);
        instance = (Lilv.Instance*)Lilv.lilv_plugin_instantiate(plugin.Handle, format.SampleRate, features.Array);
        if (instance == null) throw new ArgumentException($"{Name}: the plugin refused to instantiate at {format.SampleRate} Hz (its library: {plugin.Library}).");
        var descriptor = instance->Descriptor;
        var connect = (delegate* unmanaged[Cdecl]<nint, uint, void*, void>)Marshal.ReadIntPtr(descriptor, Lilv.ConnectPortOffset);
        var activate = (delegate* unmanaged[Cdecl]<nint, void>)Marshal.ReadIntPtr(descriptor, Lilv.ActivateOffset);
        run = (delegate* unmanaged[Cdecl]<nint, uint, void>)Marshal.ReadIntPtr(descriptor, Lilv.RunOffset);

        portValues = (float*)NativeMemory.AllocZeroed((nuint)Math.Max(1, plugin.Ports.Count), sizeof(float));
        input = (float*)NativeMemory.AllocZeroed((nuint)maxBlock, sizeof(float));
        output = (float*)NativeMemory.AllocZeroed((nuint)maxBlock, sizeof(float));
        scratch = (float*)NativeMemory.AllocZeroed((nuint)maxBlock, sizeof(float));
        zeros = (float*)NativeMemory.AllocZeroed((nuint)maxBlock, sizeof(float));
        int firstOutput = plugin.AudioOutputs.First().Index;
        foreach (var port in plugin.Ports)
        {
            void* location = port.Kind switch
            {
                Lv2PortKind.Control => portValues + port.Index,
                Lv2PortKind.Audio => port.IsInput ? input : port.Index == firstOutput ? output : scratch,
                Lv2PortKind.CV => port.IsInput ? zeros : scratch,
                _ => null,   // optional ports this host does not feed (Problem refused the required ones)
            };
            connect(instance->Handle, (uint)port.Index, location);
        }
        WriteControls();
        if (activate != null) activate(instance->Handle);
    }

    private void WriteControls()
    {
        for (int i = 0; i < controls.Length; i++) portValues[controls[i].Index] = Value(i);
    }

    public override void Process(Span<float> block)
    {
        WriteControls();
        for (int done = 0; done < block.Length; done += maxBlock)
        {
            var part = block.Slice(done, Math.Min(maxBlock, block.Length - done));
            part.CopyTo(new Span<float>(input, part.Length));
            run(instance->Handle, (uint)part.Length);
            new Span<float>(output, part.Length).CopyTo(part);
        }
    }

    public override void Dispose()
    {
        if (instance != null)
        {
            var deactivate = (delegate* unmanaged[Cdecl]<nint, void>)Marshal.ReadIntPtr(instance->Descriptor, Lilv.DeactivateOffset);
            if (deactivate != null) deactivate(instance->Handle);
            Lilv.lilv_instance_free((nint)instance);   // calls the plugin's cleanup
            instance = null;
        }
        features?.Dispose();
        features = null;
        NativeMemory.Free(portValues); NativeMemory.Free(input); NativeMemory.Free(output); NativeMemory.Free(scratch); NativeMemory.Free(zeros);
        portValues = input = output = scratch = zeros = null;
    }
}
