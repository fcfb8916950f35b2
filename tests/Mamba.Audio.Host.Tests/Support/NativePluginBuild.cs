using System.Diagnostics;

namespace Mamba.Audio.Host.Tests.Support;

/// <summary>
/// The native plugin as scripts/build-native-plugin.sh builds it (.ci/run builds it before the tests);
/// built here, once per test run, when it is missing or older than the code it is made of.
/// </summary>
public static class NativePluginBuild
{
    private static readonly Lazy<string> Built = new(BuildIfStale);

    /// <summary>artifacts/native-plugin: ladspa/mamba_audio.so and lv2/mamba_audio.lv2.</summary>
    public static string Folder => Built.Value;

    public static string LadspaFolder => Path.Combine(Folder, "ladspa");
    public static string LadspaLibrary => Path.Combine(LadspaFolder, "mamba_audio.so");
    public static string Lv2Folder => Path.Combine(Folder, "lv2");

    private static string BuildIfStale()
    {
        var folder = TestRepository.File("artifacts", "native-plugin");
        var library = Path.Combine(folder, "ladspa", "mamba_audio.so");
        var sources = new[] { "src/Mamba.Audio.Native", "src/Mamba.Audio", "src/Mamba.Core" }
            .SelectMany(d => Directory.EnumerateFiles(TestRepository.File(d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains("/obj/") && !f.Contains("/bin/"));
        if (File.Exists(library) && sources.All(f => File.GetLastWriteTimeUtc(f) <= File.GetLastWriteTimeUtc(library))) return folder;
        var info = new ProcessStartInfo("bash", [TestRepository.File("scripts", "build-native-plugin.sh")])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = TestRepository.Root,
        };
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"scripts/build-native-plugin.sh failed ({process.ExitCode}):\n{stdout}\n{stderr.Result}");
        return folder;
    }
}
