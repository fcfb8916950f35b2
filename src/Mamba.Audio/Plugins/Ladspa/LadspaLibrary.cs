using System.Runtime.InteropServices;

namespace Mamba.Audio.Plugins.Ladspa;

/// <summary>One plugin in a LADSPA library: what its descriptor says, and the descriptor itself for instantiating it.</summary>
public sealed record LadspaDescriptor(string File, string Label, string Name, string Maker, ulong UniqueId, IReadOnlyList<LadspaPort> Ports, nint Address)
{
    public IEnumerable<LadspaPort> AudioInputs => Ports.Where(p => p.IsAudio && p.IsInput);
    public IEnumerable<LadspaPort> AudioOutputs => Ports.Where(p => p.IsAudio && !p.IsInput);
    public IEnumerable<LadspaPort> ControlInputs => Ports.Where(p => p.IsControl && p.IsInput);
}

/// <summary>
/// A LADSPA plugin library (.so), loaded with the system's dynamic loader and read through
/// ladspa_descriptor(index) (ladspa.h 1.1). The descriptor is a C struct read at its x64 offsets; a
/// library stays loaded for the life of the process, as every LADSPA host keeps it.
/// </summary>
public static class LadspaLibrary
{
    // LADSPA_Descriptor on LP64: unsigned long UniqueID; const char* Label; int Properties; const char* Name, Maker, Copyright;
    // unsigned long PortCount; const int* PortDescriptors; const char* const* PortNames; const LADSPA_PortRangeHint* PortRangeHints;
    // void* ImplementationData; then the function pointers instantiate, connect_port, activate, run, run_adding, set_run_adding_gain, deactivate, cleanup.
    internal const int UniqueIdOffset = 0, LabelOffset = 8, NameOffset = 24, MakerOffset = 32, PortCountOffset = 48, PortDescriptorsOffset = 56,
        PortNamesOffset = 64, PortRangeHintsOffset = 72, InstantiateOffset = 88, ConnectPortOffset = 96, ActivateOffset = 104, RunOffset = 112,
        DeactivateOffset = 136, CleanupOffset = 144;

    private static readonly Dictionary<string, IReadOnlyList<LadspaDescriptor>> Loaded = new(StringComparer.Ordinal);

    /// <summary>The folders searched: $LADSPA_PATH (':'-separated), else the usual system folders.</summary>
    public static IReadOnlyList<string> SearchPath()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("LADSPA_PATH");
        var folders = fromEnvironment is { Length: > 0 }
            ? fromEnvironment.Split(':', StringSplitOptions.RemoveEmptyEntries)
            : ["/usr/lib/ladspa", "/usr/local/lib/ladspa", "/usr/lib/x86_64-linux-gnu/ladspa"];
        return folders.Where(Directory.Exists).Distinct().ToList();
    }

    /// <summary>A library by path, or by file name ("amp" or "amp.so") on the search path.</summary>
    public static string Resolve(string file)
    {
        if (file.Contains('/')) return File.Exists(file) ? Path.GetFullPath(file) : throw new ArgumentException($"ladspa file={file}: no such file.");
        var name = file.EndsWith(".so", StringComparison.Ordinal) ? file : file + ".so";
        foreach (var folder in SearchPath())
            if (File.Exists(Path.Combine(folder, name))) return Path.Combine(folder, name);
        throw new ArgumentException($"ladspa file={file}: not found in {string.Join(", ", SearchPath().DefaultIfEmpty("(no LADSPA folder exists)"))}; " +
            "install plugins (Debian: swh-plugins, tap-plugins, cmt, ladspa-sdk) or set LADSPA_PATH.");
    }

    /// <summary>Every plugin of a library.</summary>
    public static IReadOnlyList<LadspaDescriptor> Open(string path)
    {
        lock (Loaded)
        {
            if (Loaded.TryGetValue(path, out var known)) return known;
            nint library;
            try
            {
                library = NativeLibrary.Load(path);
            }
            catch (DllNotFoundException e)
            {
                throw new ArgumentException($"{path}: cannot be loaded as a LADSPA library: {e.Message}", e);
            }
            if (!NativeLibrary.TryGetExport(library, "ladspa_descriptor", out nint export))
                throw new ArgumentException($"{path}: has no ladspa_descriptor function; not a LADSPA plugin library.");
            var descriptors = new List<LadspaDescriptor>();
            unsafe
            {
                var descriptorAt = (delegate* unmanaged[Cdecl]<nuint, nint>)export;
                for (nuint i = 0; i < 4096; i++)
                {
                    nint d = descriptorAt(i);
                    if (d == 0) break;
                    descriptors.Add(Read(path, d));
                }
            }
            return Loaded[path] = descriptors;
        }
    }

    /// <summary>Every plugin on the search path (libraries that fail to load are left out).</summary>
    public static IEnumerable<LadspaDescriptor> All()
    {
        foreach (var folder in SearchPath())
            foreach (var file in Directory.GetFiles(folder, "*.so").Order(StringComparer.Ordinal))
            {
                IReadOnlyList<LadspaDescriptor> found;
                try { found = Open(file); }
                catch (ArgumentException) { continue; }
                foreach (var d in found) yield return d;
            }
    }

    /// <summary>The plugin of a library by its label.</summary>
    public static LadspaDescriptor Find(string file, string label)
    {
        var path = Resolve(file);
        var all = Open(path);
        return all.FirstOrDefault(d => d.Label == label)
            ?? throw new ArgumentException($"ladspa file={file}: has no plugin labelled '{label}'; it has {string.Join(", ", all.Select(d => d.Label))}.");
    }

    private static LadspaDescriptor Read(string path, nint d)
    {
        string Text(int offset) => Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(d, offset)) ?? "";
        int count = (int)Marshal.ReadInt64(d, PortCountOffset);
        nint kinds = Marshal.ReadIntPtr(d, PortDescriptorsOffset), names = Marshal.ReadIntPtr(d, PortNamesOffset), hints = Marshal.ReadIntPtr(d, PortRangeHintsOffset);
        var ports = new List<LadspaPort>(count);
        for (int p = 0; p < count; p++)
        {
            int kind = Marshal.ReadInt32(kinds, 4 * p);
            string name = Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(names, 8 * p)) ?? $"port {p}";
            int hint = Marshal.ReadInt32(hints, 12 * p);
            float lower = BitConverter.Int32BitsToSingle(Marshal.ReadInt32(hints, 12 * p + 4));
            float upper = BitConverter.Int32BitsToSingle(Marshal.ReadInt32(hints, 12 * p + 8));
            ports.Add(new LadspaPort(p, name, IsInput: (kind & 0x1) != 0, IsAudio: (kind & 0x8) != 0, hint, lower, upper));
        }
        return new LadspaDescriptor(path, Text(LabelOffset), Text(NameOffset), Text(MakerOffset), (ulong)Marshal.ReadInt64(d, UniqueIdOffset), ports, d);
    }
}
