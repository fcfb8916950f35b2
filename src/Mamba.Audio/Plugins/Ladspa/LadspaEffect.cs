using System.Runtime.InteropServices;

namespace Mamba.Audio.Plugins.Ladspa;

/// <summary>
/// A LADSPA plugin as a chain effect: `ladspa file=tap_echo label=tap_stereo_echo l_delay_ms=250`.
/// Its input control ports are the effect's parameters (ranges and defaults from its hints); the
/// chain's mono block goes to every audio input and the first audio output comes back. Instantiated,
/// connected and activated in Prepare; each block writes the controls, copies in, runs, copies out,
/// into native buffers allocated once. A plugin that crashes takes the process with it: LADSPA runs
/// in the host's address space, as in every LADSPA host.
/// </summary>
public sealed unsafe class LadspaEffect : Effect
{
    private readonly LadspaDescriptor descriptor;
    private readonly LadspaPort[] controls;
    private nint instance;
    private float* controlValues, input, output, scratch;
    private int maxBlock;
    private delegate* unmanaged[Cdecl]<nint, nuint, void> run;

    public LadspaEffect(LadspaDescriptor descriptor, int sampleRate) : base($"ladspa:{descriptor.Label}", ParametersOf(descriptor, sampleRate))
    {
        this.descriptor = descriptor;
        controls = descriptor.ControlInputs.ToArray();
        if (!descriptor.AudioInputs.Any() || !descriptor.AudioOutputs.Any())
            throw new ArgumentException($"ladspa label={descriptor.Label}: has {descriptor.AudioInputs.Count()} audio inputs and {descriptor.AudioOutputs.Count()} outputs; an effect needs at least one of each.");
        SampleRate = sampleRate;
    }

    /// <summary>The rate the parameters' ranges were computed for (ranges of some plugins scale with it).</summary>
    public int SampleRate { get; }

    public LadspaDescriptor Descriptor => descriptor;

    public static IReadOnlyList<PluginParameter> ParametersOf(LadspaDescriptor descriptor, int sampleRate)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<PluginParameter>();
        foreach (var port in descriptor.ControlInputs)
        {
            var name = port.ParameterName;
            if (!used.Add(name)) { name = $"{name}_{port.Index}"; used.Add(name); }
            list.Add(port.ToParameter(sampleRate, name));
        }
        return list;
    }

    protected override void OnPrepare(StreamFormat format)
    {
        if (format.SampleRate != SampleRate) throw new ArgumentException($"{Name}: made for {SampleRate} Hz, the chain runs at {format.SampleRate} Hz.");
        maxBlock = format.MaxBlock;
        var d = descriptor.Address;
        var instantiate = (delegate* unmanaged[Cdecl]<nint, nuint, nint>)Marshal.ReadIntPtr(d, LadspaLibrary.InstantiateOffset);
        var connect = (delegate* unmanaged[Cdecl]<nint, nuint, float*, void>)Marshal.ReadIntPtr(d, LadspaLibrary.ConnectPortOffset);
        var activate = (delegate* unmanaged[Cdecl]<nint, void>)Marshal.ReadIntPtr(d, LadspaLibrary.ActivateOffset);
        run = (delegate* unmanaged[Cdecl]<nint, nuint, void>)Marshal.ReadIntPtr(d, LadspaLibrary.RunOffset);
        instance = instantiate(d, (nuint)format.SampleRate);
        if (instance == 0) throw new ArgumentException($"{Name}: the plugin refused to instantiate at {format.SampleRate} Hz.");

        controlValues = (float*)NativeMemory.AllocZeroed((nuint)descriptor.Ports.Count, sizeof(float));
        input = (float*)NativeMemory.AllocZeroed((nuint)maxBlock, sizeof(float));
        output = (float*)NativeMemory.AllocZeroed((nuint)maxBlock, sizeof(float));
        scratch = (float*)NativeMemory.AllocZeroed((nuint)maxBlock, sizeof(float));
        int firstOutput = descriptor.AudioOutputs.First().Index;
        foreach (var port in descriptor.Ports)
        {
            float* location = port.IsControl ? controlValues + port.Index
                : port.IsInput ? input
                : port.Index == firstOutput ? output : scratch;   // extra outputs are computed and dropped
            connect(instance, (nuint)port.Index, location);
        }
        WriteControls();
        if (activate != null) activate(instance);
    }

    private void WriteControls()
    {
        for (int i = 0; i < controls.Length; i++) controlValues[controls[i].Index] = Value(i);
    }

    public override void Process(Span<float> block)
    {
        WriteControls();
        for (int done = 0; done < block.Length; done += maxBlock)
        {
            var part = block.Slice(done, Math.Min(maxBlock, block.Length - done));
            part.CopyTo(new Span<float>(input, part.Length));
            run(instance, (nuint)part.Length);
            new Span<float>(output, part.Length).CopyTo(part);
        }
    }

    public override void Dispose()
    {
        if (instance != 0)
        {
            var d = descriptor.Address;
            var deactivate = (delegate* unmanaged[Cdecl]<nint, void>)Marshal.ReadIntPtr(d, LadspaLibrary.DeactivateOffset);
            var cleanup = (delegate* unmanaged[Cdecl]<nint, void>)Marshal.ReadIntPtr(d, LadspaLibrary.CleanupOffset);
            if (deactivate != null) deactivate(instance);
            if (cleanup != null) cleanup(instance);
            instance = 0;
        }
        NativeMemory.Free(controlValues); NativeMemory.Free(input); NativeMemory.Free(output); NativeMemory.Free(scratch);
        controlValues = input = output = scratch = null;
    }
}
