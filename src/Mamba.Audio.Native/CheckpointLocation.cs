using System.Runtime.InteropServices;

namespace Mamba.Audio.Native;

/// <summary>
/// Where the plugin finds its checkpoint: $MAMBA_AUDIO_CHECKPOINT (a checkpoint folder) when set,
/// else the checkpoint folder the build puts beside the library: the bundle's model/ for LV2,
/// mamba_audio.model/ beside mamba_audio.so for LADSPA.
/// </summary>
public static unsafe class CheckpointLocation
{
    public const string Variable = "MAMBA_AUDIO_CHECKPOINT";

    /// <summary>The checkpoint to load, and how it was chosen (for the message when it cannot be loaded).</summary>
    /// <param name="lv2Bundle">The bundle folder an LV2 host gives; null for LADSPA.</param>
    public static (string Path, string Why) Find(string? lv2Bundle)
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } fromEnvironment) return (fromEnvironment, $"${Variable}");
        if (lv2Bundle is not null) return (Path.Combine(lv2Bundle, "model"), $"${Variable} is not set, so the bundle's own");
        return LibraryFolder() is { } folder
            ? (Path.Combine(folder, "mamba_audio.model"), $"${Variable} is not set, so the one beside the library")
            : ("", $"${Variable} is not set, and the loader cannot say where the library is");
    }

    /// <summary>The folder of this shared library (dladdr on one of its own functions); null when the loader cannot say.</summary>
    public static string? LibraryFolder()
    {
        delegate*<string?> self = &LibraryFolder;
        DlInfo info;
        try
        {
            if (dladdr((nint)self, &info) == 0 || info.FileName == 0) return null;
        }
        catch (EntryPointNotFoundException) { return null; }
        catch (DllNotFoundException) { return null; }
        return Path.GetDirectoryName(Marshal.PtrToStringUTF8(info.FileName));
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct DlInfo { public nint FileName, Base, SymbolName, SymbolAddress; }

    [DllImport("libc.so.6")] private static extern int dladdr(nint address, DlInfo* info);
}
