using Mamba.Audio.Host.Tests.Support;
using NAudio.Wave;

namespace Mamba.Audio.Host.Tests.Commands;

/// <summary>The sample plugin (samples/plugins/BitCrusher) loads from its assembly and runs in a chain; a broken assembly is reported and the host goes on.</summary>
public class ManagedPluginTests : IDisposable
{
    private readonly TempFolder folder = new();

    private string PluginsFolder()
    {
        var built = new[] { "Release", "Debug" }
            .Select(c => TestRepository.File("samples", "plugins", "BitCrusher", "bin", c, "net10.0", "BitCrusher.dll"))
            .Where(File.Exists).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
            ?? throw new InvalidOperationException("samples/plugins/BitCrusher is not built (the test project builds it first).");
        var plugins = folder.File("plugins");
        Directory.CreateDirectory(plugins);
        File.Copy(built, Path.Combine(plugins, "BitCrusher.dll"));
        File.WriteAllText(Path.Combine(plugins, "broken.dll"), "not an assembly");
        return plugins;
    }

    [Fact]
    public void TheSamplePlugin_IsListed_AndABrokenAssemblyIsReported()
    {
        var result = HostRun.Run("plugins", "--plugins", PluginsFolder());
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("bitcrush", result.Output);
        Assert.Contains("bits: 1..16 bits (default 8)", result.Output);
        Assert.Contains("plugin skipped:", result.Output);
        Assert.Contains("broken.dll: not a .NET plugin assembly", result.Output);
    }

    [Fact]
    public void TheSamplePlugin_RunsInAChain()
    {
        var output = folder.File("crushed.wav");
        var result = HostRun.Run("play", "--plugins", PluginsFolder(), "--chain", $"tone hz=300 db=-3 | bitcrush bits=4 | wav path={output}",
            "--seconds", "0.5", "--rate", "16000");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("output: no sound card (a real-time clock)", result.Output);
        using var reader = new WaveFileReader(output);
        var bytes = new byte[reader.Length];
        reader.ReadExactly(bytes);
        var levels = new HashSet<short>();
        for (int i = 0; i < bytes.Length / 2; i++) levels.Add(BitConverter.ToInt16(bytes, 2 * i));
        // 4 bits: the signal takes only multiples of 1/8 of full scale (4096 in 16-bit), 15 levels or fewer.
        Assert.All(levels, l => Assert.True(l % 4096 == 0 || l == 32767, $"level {l}"));
        Assert.InRange(levels.Count, 5, 16);
    }

    public void Dispose() => folder.Dispose();
}
