using System.Text.Json;
using Mamba.Audio.Files;
using Mamba.Audio.Generation;
using Mamba.Audio.Host.Commands;
using Mamba.Audio.Host.Tests.Support;
using Mamba.Core.Checkpoints;
using Mamba.Core.Model;
using NAudio.Wave;

namespace Mamba.Audio.Host.Tests.Commands;

public class RenderCommandTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("mamba-render-").FullName;

    /// <summary>A tiny random-weight Mamba saved as a checkpoint directory (by Core: no libtorch).</summary>
    internal static string TinyCheckpoint(string directory, int seed = 5, int? sampleRate = null)
    {
        var config = new MambaConfig(16, 2);
        MambaCheckpoint.Save(directory, config, MambaRandomWeights.Create(config, (ulong)seed),
            sampleRate is { } rate ? CheckpointSampleRate.With(null, rate) : null);
        return directory;
    }

    [Fact]
    public void SameSeed_GivesIdenticalFileBytes_AndASidecar()
    {
        var checkpoint = TinyCheckpoint(Path.Combine(root, "model"));
        string a = Path.Combine(root, "a.wav"), b = Path.Combine(root, "b.wav");
        foreach (var path in new[] { a, b })
            Assert.Equal(0, MambaAudioApp.Run(new[] { "render", "--checkpoint", checkpoint, "--out", path, "--seconds", "0.5", "--seed", "9",
                "--temperature", "0.9", "--top-p", "0.95", "--device", "cpu" }));
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        using var reader = new WaveFileReader(a);
        Assert.Equal(8000, reader.SampleCount);

        using var sidecar = JsonDocument.Parse(File.ReadAllText(RenderOutputs.SidecarPath(a)));
        var json = sidecar.RootElement;
        Assert.Equal(8000, json.GetProperty("SamplesPerTake").GetInt64());
        Assert.True(json.GetProperty("PeakMemoryBytes").GetInt64() > 0);
        Assert.True(json.GetProperty("RealTimeFactor").GetDouble() > 0);
        Assert.False(json.GetProperty("Interrupted").GetBoolean());
    }

    [Fact]
    public void Takes_AreWrittenInRankOrder_WithTheirLikelihoodsInTheSidecar()
    {
        var checkpoint = TinyCheckpoint(Path.Combine(root, "model"));
        string path = Path.Combine(root, "out", "takes.wav");
        Assert.Equal(0, MambaAudioApp.Run(new[] { "render", "--checkpoint", checkpoint, "--out", path, "--seconds", "0.2", "--takes", "3",
            "--seed", "100", "--engine", "cpu", "--device", "cpu" }));
        using var sidecar = JsonDocument.Parse(File.ReadAllText(RenderOutputs.SidecarPath(path)));
        var takes = sidecar.RootElement.GetProperty("Takes").EnumerateArray().ToList();
        Assert.Equal(3, takes.Count);
        var perSample = takes.Select(t => t.GetProperty("LogLikelihoodPerSample").GetDouble()).ToList();
        Assert.Equal(perSample.OrderByDescending(x => x), perSample);
        Assert.Equal(new ulong[] { 100, 101, 102 }, takes.Select(t => t.GetProperty("Seed").GetUInt64()).Order());
        for (int r = 1; r <= 3; r++)
        {
            Assert.Equal(Renderer.TakePath(path, r), takes[r - 1].GetProperty("Path").GetString());
            using var reader = new WaveFileReader(Renderer.TakePath(path, r));
            Assert.Equal(3200, reader.SampleCount);
        }
    }

    [Fact]
    public void Prompt_IsContinued_OnBothEngines_PrimedByForwardOrByStepping()
    {
        var checkpoint = TinyCheckpoint(Path.Combine(root, "model"));
        string prompt = Path.Combine(root, "prompt.wav");
        using (var writer = new Pcm16WavWriter(prompt, 8000))   // another rate: converted on reading
            writer.Write(Enumerable.Range(0, 8000).Select(i => 0.5f * MathF.Sin(i * 0.1f)).ToArray());
        foreach (var (engine, prime) in new[] { ("cpu", "forward"), ("cpu", "step"), ("torch", "forward") })
        {
            string path = Path.Combine(root, $"continued-{engine}-{prime}.wav");
            Assert.Equal(0, MambaAudioApp.Run(new[] { "render", "--checkpoint", checkpoint, "--out", path, "--seconds", "0.1",
                "--prompt", prompt, "--prompt-seconds", "0.5", "--engine", engine, "--prime", prime, "--device", "cpu" }));
            using var sidecar = JsonDocument.Parse(File.ReadAllText(RenderOutputs.SidecarPath(path)));
            Assert.Equal(8000, sidecar.RootElement.GetProperty("PromptSamples").GetInt32());
            Assert.Equal(1600, sidecar.RootElement.GetProperty("SamplesPerTake").GetInt64());
        }
    }

    [Fact]
    public void ARunDirectory_MeansItsBestCheckpoint()
    {
        TinyCheckpoint(Path.Combine(root, "run", "best"));
        string path = Path.Combine(root, "best.wav");
        Assert.Equal(0, MambaAudioApp.Run(new[] { "render", "--checkpoint", Path.Combine(root, "run"), "--out", path, "--seconds", "0.05", "--device", "cpu" }));
        Assert.True(File.Exists(path));
    }

    [Theory]
    [InlineData("--seconds", "0")]
    [InlineData("--seconds", "100000")]
    [InlineData("--takes", "0")]
    [InlineData("--top-p", "0")]
    [InlineData("--temperature", "-1")]
    [InlineData("--engine", "gpu")]
    [InlineData("--prompt-seconds", "0")]
    [InlineData("--prompt-seconds", "601")]
    [InlineData("--prime forward --prompt-seconds", "11")]
    [InlineData("--engine torch --prime", "step")]
    [InlineData("--prime", "jump")]
    [InlineData("--block", "1")]
    [InlineData("--device", "tpu")]
    public void BadOption_IsRejectedWithExitCode2_AndAMessageNamingIt(string option, string value)
    {
        var checkpoint = TinyCheckpoint(Path.Combine(root, "model"));
        var result = HostRun.Run(["render", "--checkpoint", checkpoint, "--out", Path.Combine(root, "x.wav"), .. option.Split(' '), value]);
        Assert.Equal(2, result.ExitCode);
        string named = option.Split(' ')[^1] + " " + value;
        Assert.Contains(named, result.Output);
        Assert.False(File.Exists(Path.Combine(root, "x.wav")));
    }

    [Fact]
    public void MissingCheckpoint_OrPrompt_IsRejectedWithExitCode2()
    {
        Assert.Equal(2, MambaAudioApp.Run(new[] { "render", "--checkpoint", Path.Combine(root, "nothing"), "--out", Path.Combine(root, "x.wav"), "--device", "cpu" }));
        var checkpoint = TinyCheckpoint(Path.Combine(root, "model"));
        Assert.Equal(2, MambaAudioApp.Run(new[] { "render", "--checkpoint", checkpoint, "--out", Path.Combine(root, "x.wav"),
            "--prompt", Path.Combine(root, "missing.wav"), "--device", "cpu" }));
        Assert.Equal(2, MambaAudioApp.Run(new[] { "render", "--checkpoint", checkpoint, "--out", Path.Combine(root, "x.wav"),
            "--engine", "torch", "--prime", "step", "--device", "cpu" }));
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
