using System.Text.Json;
using System.Text.Json.Nodes;
using Mamba.Audio.Host.Commands;
using Mamba.Core.Checkpoints;
using NAudio.Wave;

namespace Mamba.Audio.Host.Tests.Commands;

/// <summary>
/// The sample rate travels with the model: trained on an 8 kHz corpus, a checkpoint says 8 kHz and
/// renders 8 kHz audio (before, it rendered 16 kHz headers: double speed); a checkpoint without a
/// rate (mamba_ssm's own) renders at 16 kHz.
/// </summary>
public class SampleRateTests : IDisposable
{
    private readonly TempFolder folder = new();

    [Fact]
    public void ModelTrainedOn8kHz_SavesTheRate_AndRendersAt8kHz()
    {
        string input = folder.File("in"), corpus = folder.File("corpus"), run = folder.File("run"), wav = folder.File("out.wav");
        Directory.CreateDirectory(input);
        foreach (var clip in Directory.GetFiles(TestRepository.File("samples", "wav", "digits"), "*.wav").Order().Take(6))
            File.Copy(clip, Path.Combine(input, Path.GetFileName(clip)));
        Assert.Equal(0, MambaAudioApp.Run(["prepare", input, "--out", corpus, "--rate", "8000"]));
        Assert.Equal(0, MambaAudioApp.Run(["train", "--corpus", corpus, "--out", run, "--preset", "tiny", "--steps", "2", "--crop", "256",
            "--batch", "2", "--eval-every", "2", "--checkpoint-every", "2", "--device", "cpu"]));

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "best", MambaConfigJson.FileName)))!;
        Assert.Equal(8000, config[MambaConfigJson.ExtrasKey]![CheckpointSampleRate.Key]!.GetValue<int>());
        Assert.Equal(8000, MambaCheckpoint.Load(Path.Combine(run, "best")).SampleRate);

        Assert.Equal(0, MambaAudioApp.Run(["render", "--checkpoint", run, "--seconds", "0.25", "--out", wav]));
        using (var reader = new WaveFileReader(wav))
        {
            Assert.Equal(8000, reader.WaveFormat.SampleRate);
            Assert.Equal(2000, reader.SampleCount);   // 0.25 s at the model's rate
        }
        using var sidecar = JsonDocument.Parse(File.ReadAllText(RenderOutputs.SidecarPath(wav)));
        Assert.Equal(8000, sidecar.RootElement.GetProperty("SampleRate").GetInt32());
    }

    [Fact]
    public void CheckpointWithoutARate_RendersAt16kHz_AndABadRateIsRefusedByName()
    {
        string plain = RenderCommandTests.TinyCheckpoint(folder.File("plain")), wav = folder.File("plain.wav");
        Assert.Equal(CheckpointSampleRate.Default, MambaCheckpoint.Load(plain).SampleRate);
        Assert.Equal(0, MambaAudioApp.Run(["render", "--checkpoint", plain, "--seconds", "0.1", "--out", wav]));
        using (var reader = new WaveFileReader(wav)) Assert.Equal(16000, reader.WaveFormat.SampleRate);

        string bad = RenderCommandTests.TinyCheckpoint(folder.File("bad"));
        var configPath = Path.Combine(bad, MambaConfigJson.FileName);
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config[MambaConfigJson.ExtrasKey] = new JsonObject { [CheckpointSampleRate.Key] = -5 };
        File.WriteAllText(configPath, config.ToJsonString());
        var e = Assert.Throws<CheckpointException>(() => MambaCheckpoint.Load(bad));
        Assert.Contains("\"sample_rate\" is -5, not a sample rate in Hz", e.Message);
    }

    public void Dispose() => folder.Dispose();
}
