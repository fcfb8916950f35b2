namespace Mamba.Audio.Host.Terminal;

/// <summary>
/// The native shared libraries mapped into this process (Linux: /proc/self/maps), so a report can
/// show that the lean run-time paths (render and bench generate with the CPU engine) never load
/// libtorch.
/// </summary>
public static class NativeLibraries
{
    /// <summary>File names of the mapped .so files, sorted; empty where /proc is not available.</summary>
    public static IReadOnlyList<string> Loaded()
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps)) return [];
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(maps))
        {
            int slash = line.IndexOf('/');
            if (slash < 0) continue;
            var name = Path.GetFileName(line[slash..]);
            if (name.Contains(".so", StringComparison.Ordinal)) names.Add(name);
        }
        return names.ToArray();
    }

    /// <summary>Whether libtorch or TorchSharp's native library is among <paramref name="libraries"/>.</summary>
    public static bool HasLibtorch(IEnumerable<string> libraries) =>
        libraries.Any(l => l.StartsWith("libtorch", StringComparison.Ordinal) || l.StartsWith("libLibTorchSharp", StringComparison.Ordinal)
                           || l.StartsWith("libc10", StringComparison.Ordinal));
}
