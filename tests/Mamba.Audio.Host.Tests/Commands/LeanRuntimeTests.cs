using System.Text.Json;
using Mamba.Audio.Host.Tests.Support;
using NAudio.Wave;

namespace Mamba.Audio.Host.Tests.Commands;

/// <summary>
/// What plays, serves or is embedded runs on Mamba.Core and Mamba.Audio alone: a CPU-engine render
/// and a cpu-only bench never map libtorch into the process (each reports its mapped libraries,
/// read from /proc/self/maps at the end of the run). The torch engine, which does load it, is the
/// control that shows the check can fail.
/// </summary>
public class LeanRuntimeTests : IDisposable
{
    private readonly TempFolder folder = new();

    private static string[] Libraries(JsonElement report) =>
        report.GetProperty("NativeLibraries").EnumerateArray().Select(l => l.GetString()!).ToArray();

    private static bool IsTorch(string library) =>
        library.StartsWith("libtorch", StringComparison.Ordinal) || library.StartsWith("libLibTorchSharp", StringComparison.Ordinal) || library.StartsWith("libc10", StringComparison.Ordinal);

    [Fact]
    public void CpuEngineRender_LoadsNoLibtorch_AndTheTorchEngineDoes()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "reads /proc/self/maps");
        string checkpoint = TestRepository.File("samples", "models", "digits-small");
        string cpu = folder.File("cpu.wav"), torch = folder.File("torch.wav");
        var a = HostRun.Run("render", "--checkpoint", checkpoint, "--seconds", "0.5", "--out", cpu);
        Assert.True(a.ExitCode == 0, a.Output);
        var b = HostRun.Run("render", "--checkpoint", checkpoint, "--seconds", "0.5", "--out", torch, "--engine", "torch", "--device", "cpu");
        Assert.True(b.ExitCode == 0, b.Output);

        using var lean = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(cpu, ".json")));
        using var heavy = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(torch, ".json")));
        var leanLibraries = Libraries(lean.RootElement);
        Assert.Contains(leanLibraries, l => l.StartsWith("libcoreclr", StringComparison.Ordinal));   // the list is real
        Assert.DoesNotContain(leanLibraries, IsTorch);
        Assert.False(lean.RootElement.GetProperty("LibtorchLoaded").GetBoolean());
        Assert.Contains(Libraries(heavy.RootElement), IsTorch);
        Assert.True(heavy.RootElement.GetProperty("LibtorchLoaded").GetBoolean());
    }

    [Fact]
    public void CpuOnlyBenchGenerate_LoadsNoLibtorch()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "reads /proc/self/maps");
        string json = folder.File("generate.json");
        var run = HostRun.Run("bench", "generate", "--engines", "cpu", "--presets", "tiny", "--streams", "1", "--runs", "1",
            "--seconds-per-run", "0.05", "--memory-seconds", "0.2", "--memory-preset", "tiny", "--json", json);
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("Transformer baseline not measured", run.StandardOutput);
        using var report = JsonDocument.Parse(File.ReadAllText(json));
        Assert.DoesNotContain(Libraries(report.RootElement), IsTorch);
        Assert.Equal("cpu", report.RootElement.GetProperty("Engines")[0].GetProperty("Engine").GetString());
        Assert.Single(report.RootElement.GetProperty("Memory").EnumerateArray());
    }

    public void Dispose() => folder.Dispose();
}
