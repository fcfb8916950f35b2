using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mamba.Audio.Native.Lv2;

/// <summary>
/// lv2_descriptor, what an LV2 host looks up in the bundle's binary (lv2/core/lv2.h): index 0 is the
/// Mamba generator, <see cref="Uri"/>, described by the Turtle that <see cref="Lv2Turtle"/> writes
/// from the same port table. The checkpoint is $MAMBA_AUDIO_CHECKPOINT, else the bundle's model/ folder.
/// </summary>
public static unsafe class Lv2Exports
{
    public const string Uri = "https://mamba.audio/plugins/generator";

    private static readonly nint Descriptor = Build();

    [UnmanagedCallersOnly(EntryPoint = "lv2_descriptor", CallConvs = [typeof(CallConvCdecl)])]
    public static nint Lv2Descriptor(uint index) => index == 0 ? Descriptor : 0;

    /// <summary>The bundle's Turtle (manifest.ttl, then the plugin's), for the build to write beside the library; a UTF-8 string owned by the library.</summary>
    [UnmanagedCallersOnly(EntryPoint = "mamba_audio_lv2_turtle", CallConvs = [typeof(CallConvCdecl)])]
    public static nint Turtle(int which) => which switch
    {
        0 => Marshal.StringToCoTaskMemUTF8(Lv2Turtle.Manifest()),
        1 => Marshal.StringToCoTaskMemUTF8(Lv2Turtle.Plugin()),
        _ => 0,
    };

    private static nint Build()
    {
        // LV2_Descriptor { const char* URI; instantiate; connect_port; activate; run; deactivate; cleanup; extension_data }
        var d = (nint*)NativeMemory.AllocZeroed(8, (nuint)sizeof(nint));
        d[0] = Marshal.StringToCoTaskMemUTF8(Uri);
        d[1] = (nint)(delegate* unmanaged[Cdecl]<nint, double, byte*, nint, nint>)&Instantiate;
        d[2] = (nint)(delegate* unmanaged[Cdecl]<nint, uint, float*, void>)&ConnectPort;
        d[3] = (nint)(delegate* unmanaged[Cdecl]<nint, void>)&Activate;
        d[4] = (nint)(delegate* unmanaged[Cdecl]<nint, uint, void>)&Run;
        d[5] = (nint)(delegate* unmanaged[Cdecl]<nint, void>)&Deactivate;
        d[6] = (nint)(delegate* unmanaged[Cdecl]<nint, void>)&Cleanup;
        d[7] = (nint)(delegate* unmanaged[Cdecl]<byte*, nint>)&ExtensionData;
        return (nint)d;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static nint Instantiate(nint descriptor, double sampleRate, byte* bundlePath, nint features) =>
        PluginInstance.ToHandle(PluginInstance.Create(sampleRate, bundlePath == null ? null : Marshal.PtrToStringUTF8((nint)bundlePath)));

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void ConnectPort(nint handle, uint port, float* data) => PluginInstance.FromHandle(handle).Connect(port, data);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Activate(nint handle) => PluginInstance.FromHandle(handle).Activate();

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Run(nint handle, uint count) => PluginInstance.FromHandle(handle).Run(count);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Deactivate(nint handle) => PluginInstance.FromHandle(handle).Deactivate();

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Cleanup(nint handle) => PluginInstance.Free(handle);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static nint ExtensionData(byte* uri) => 0;
}
