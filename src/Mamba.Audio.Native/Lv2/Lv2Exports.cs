using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mamba.Audio.Native.Lv2;

/// <summary>
/// lv2_descriptor, what an LV2 host looks up in the bundle's binary (lv2/core/lv2.h): index 0 is the
/// Mamba generator, <see cref="Uri"/>, described by the Turtle that <see cref="Lv2Turtle"/> writes
/// from the same port table. The checkpoint is $MAMBA_AUDIO_CHECKPOINT, else the bundle's model/ folder,
/// until the host sets the checkpoint parameter (<see cref="Lv2Patch"/>); state:interface saves and
/// restores it with a session.
/// </summary>
public static unsafe class Lv2Exports
{
    public const string Uri = "https://mamba.audio/plugins/generator";

    public const string StateInterface = "http://lv2plug.in/ns/ext/state#interface";

    private static readonly nint Descriptor = Build();
    private static readonly nint StateInterfaceData = BuildState();

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
        PluginInstance.ToHandle(PluginInstance.Create(sampleRate, bundlePath == null ? "" : Marshal.PtrToStringUTF8((nint)bundlePath), features));

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
    private static nint ExtensionData(byte* uri) => Marshal.PtrToStringUTF8((nint)uri) == StateInterface ? StateInterfaceData : 0;

    // LV2_State_Interface { save(instance, store, handle, flags, features); restore(instance, retrieve, handle, flags, features) }
    private static nint BuildState()
    {
        var state = (nint*)NativeMemory.AllocZeroed(2, (nuint)sizeof(nint));
        state[0] = (nint)(delegate* unmanaged[Cdecl]<nint, nint, nint, uint, nint, int>)&SaveState;
        state[1] = (nint)(delegate* unmanaged[Cdecl]<nint, nint, nint, uint, nint, int>)&RestoreState;
        return (nint)state;
    }

    private const int StateSuccess = 0, StateUnknownError = 1, StateIsPod = 1, StateIsPortable = 2;

    /// <summary>Stores the checkpoint's path (atom:Path, null-terminated) under the parameter's URID.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int SaveState(nint handle, nint store, nint storeHandle, uint flags, nint features)
    {
        var instance = PluginInstance.FromHandle(handle);
        if (instance.Patch is not { } patch || instance.CheckpointPath is not { } path) return StateUnknownError;
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        var storeFunction = (delegate* unmanaged[Cdecl]<nint, uint, byte*, nuint, uint, uint, int>)store;
        fixed (byte* value = bytes)
            return storeFunction(storeHandle, patch.CheckpointKey, value, (nuint)bytes.Length, patch.AtomPath, StateIsPod | StateIsPortable);
    }

    /// <summary>Loads the stored checkpoint (restore is not concurrent with run, so it loads here, directly).</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int RestoreState(nint handle, nint retrieve, nint retrieveHandle, uint flags, nint features)
    {
        var instance = PluginInstance.FromHandle(handle);
        if (instance.Patch is not { } patch) return StateUnknownError;
        var retrieveFunction = (delegate* unmanaged[Cdecl]<nint, uint, nuint*, uint*, uint*, byte*>)retrieve;
        nuint size;
        uint type, valueFlags;
        byte* value = retrieveFunction(retrieveHandle, patch.CheckpointKey, &size, &type, &valueFlags);
        if (value == null) return StateSuccess;   // nothing saved: keep the bundle's checkpoint
        if (type != patch.AtomPath || size == 0 || size > CheckpointLoader.MaxPathBytes) return StateUnknownError;
        var path = Marshal.PtrToStringUTF8((nint)value, (int)size).TrimEnd('\0');
        return instance.Restore(path) ? StateSuccess : StateUnknownError;
    }
}
