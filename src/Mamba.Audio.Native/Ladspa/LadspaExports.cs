using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mamba.Audio.Native.Ladspa;

/// <summary>
/// ladspa_descriptor, the one symbol a LADSPA host looks up (ladspa.h 1.1): index 0 is the Mamba
/// generator. The descriptor and its strings and arrays are made once in native memory and live as
/// long as the library. Unique ID 4898 is not registered with ladspa.org (no registry takes IDs now).
/// </summary>
public static unsafe class LadspaExports
{
    public const ulong UniqueId = 4898;
    public const string Label = "mamba";

    // LADSPA_PortDescriptor bits and LADSPA_PortRangeHintDescriptor bits (ladspa.h).
    private const int PortInput = 0x1, PortOutput = 0x2, PortControl = 0x4, PortAudio = 0x8;
    private const int BoundedBelow = 0x1, BoundedAbove = 0x2, Integer = 0x20, DefaultMinimum = 0x40, DefaultMiddle = 0xC0,
        DefaultMaximum = 0x140, Default0 = 0x200, Default1 = 0x240, Default100 = 0x280, Default440 = 0x2C0;
    private const int HardRtCapable = 0x4;

    private static readonly nint Descriptor = Build();

    [UnmanagedCallersOnly(EntryPoint = "ladspa_descriptor", CallConvs = [typeof(CallConvCdecl)])]
    public static nint LadspaDescriptor(nuint index) => index == 0 ? Descriptor : 0;

    /// <summary>The range hint LADSPA can express for a control: bounds, integer, and the nearest of its fixed defaults.</summary>
    public static int HintOf(VoicePort port)
    {
        int hint = BoundedBelow | BoundedAbove | (port.Integer ? Integer : 0);
        return hint | (port.Default == port.Min ? DefaultMinimum : port.Default == port.Max ? DefaultMaximum : port.Default switch
        {
            0 => Default0, 1 => Default1, 100 => Default100, 440 => Default440, _ => DefaultMiddle,
        });
    }

    private static nint Build()
    {
        var ports = VoicePorts.All;
        var d = (byte*)NativeMemory.AllocZeroed(152);
        var descriptors = (int*)NativeMemory.AllocZeroed((nuint)ports.Count, sizeof(int));
        var names = (nint*)NativeMemory.AllocZeroed((nuint)ports.Count, (nuint)sizeof(nint));
        var hints = (byte*)NativeMemory.AllocZeroed((nuint)ports.Count, 12);   // LADSPA_PortRangeHint { int; float; float }
        for (int i = 0; i < ports.Count; i++)
        {
            var p = ports[i];
            descriptors[i] = (p.IsInput ? PortInput : PortOutput) | (p.IsAudio ? PortAudio : PortControl);
            names[i] = Marshal.StringToCoTaskMemUTF8(p.Name);
            if (p.IsAudio || !p.IsInput) continue;
            *(int*)(hints + 12 * i) = HintOf(p);
            *(float*)(hints + 12 * i + 4) = p.Min;
            *(float*)(hints + 12 * i + 8) = p.Max;
        }
        *(ulong*)(d + 0) = UniqueId;
        *(nint*)(d + 8) = Marshal.StringToCoTaskMemUTF8(Label);
        *(int*)(d + 16) = HardRtCapable;
        *(nint*)(d + 24) = Marshal.StringToCoTaskMemUTF8("Mamba.Audio generator");
        *(nint*)(d + 32) = Marshal.StringToCoTaskMemUTF8("Mamba.Audio");
        *(nint*)(d + 40) = Marshal.StringToCoTaskMemUTF8("MIT");
        *(ulong*)(d + 48) = (ulong)ports.Count;
        *(nint*)(d + 56) = (nint)descriptors;
        *(nint*)(d + 64) = (nint)names;
        *(nint*)(d + 72) = (nint)hints;
        *(nint*)(d + 88) = (nint)(delegate* unmanaged[Cdecl]<nint, nuint, nint>)&Instantiate;
        *(nint*)(d + 96) = (nint)(delegate* unmanaged[Cdecl]<nint, nuint, float*, void>)&ConnectPort;
        *(nint*)(d + 104) = (nint)(delegate* unmanaged[Cdecl]<nint, void>)&Activate;
        *(nint*)(d + 112) = (nint)(delegate* unmanaged[Cdecl]<nint, nuint, void>)&Run;
        *(nint*)(d + 136) = (nint)(delegate* unmanaged[Cdecl]<nint, void>)&Deactivate;
        *(nint*)(d + 144) = (nint)(delegate* unmanaged[Cdecl]<nint, void>)&Cleanup;
        return (nint)d;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static nint Instantiate(nint descriptor, nuint sampleRate) => PluginInstance.ToHandle(PluginInstance.Create(sampleRate, null));

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void ConnectPort(nint handle, nuint port, float* data) => PluginInstance.FromHandle(handle).Connect((uint)Math.Min(port, uint.MaxValue), data);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Activate(nint handle) => PluginInstance.FromHandle(handle).Activate();

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Run(nint handle, nuint count) => PluginInstance.FromHandle(handle).Run((uint)Math.Min(count, uint.MaxValue));

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Deactivate(nint handle) => PluginInstance.FromHandle(handle).Deactivate();

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Cleanup(nint handle) => PluginInstance.Free(handle);
}
