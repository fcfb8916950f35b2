using System.Diagnostics;

namespace Mamba.Audio.Generation;

/// <summary>The process's peak resident memory, for reports that claim memory does not grow.</summary>
public static class ProcessMemory
{
    /// <summary>
    /// Peak resident set size in bytes: VmHWM from /proc/self/status on Linux (the kernel's high-water
    /// mark), else <see cref="Process.PeakWorkingSet64"/>.
    /// </summary>
    public static long PeakBytes()
    {
        try
        {
            if (File.Exists("/proc/self/status"))
                foreach (var line in File.ReadLines("/proc/self/status"))
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    {
                        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);   // "VmHWM:", "12345", "kB"
                        if (parts.Length >= 2 && long.TryParse(parts[1], out long kb)) return kb * 1024;
                    }
        }
        catch (IOException) { }
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }
}
