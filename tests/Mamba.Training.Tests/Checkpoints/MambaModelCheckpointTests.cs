using Mamba.Training.Checkpoints;
using Mamba.Training.Model;
using Mamba.Core.Checkpoints;
using Mamba.Core.Model;
using Mamba.Training.Tests.Support;
using static TorchSharp.torch;

namespace Mamba.Training.Tests.Checkpoints;

public class MambaModelCheckpointTests
{
    [Fact]
    public void SavedModel_LoadsBitExact_AndGivesTheSameLogits()
    {
        int seed = TestSeed.Fresh();
        using var dir = new TempFolder();
        var config = new MambaConfig(40, 3, DState: 5);
        using var model = new MambaLM(config, seed);
        MambaModelCheckpoint.Save(model, dir.Path);

        using var loaded = MambaModelCheckpoint.Load(dir.Path);
        Assert.Equal(config, loaded.Config);
        var original = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in loaded.named_parameters())
        {
            var a = p.detach().contiguous().data<float>().ToArray();
            var b = original[name].detach().contiguous().data<float>().ToArray();
            Assert.True(a.AsSpan().SequenceEqual(b), $"seed {seed}: parameter {name} differs after the round trip");
        }

        using var _ = no_grad();
        var tokens = randint(0, 256, new long[] { 2, 20 }, generator: new Generator((ulong)seed));
        Assert.True(loaded.forward(tokens).allclose(model.forward(tokens), 0, 0), $"seed {seed}: logits differ");
    }

    [Fact]
    public void LoadingACheckpointOfAnotherSize_NamesTheMismatch()
    {
        using var dir = new TempFolder();
        using var model = new MambaLM(new MambaConfig(16, 1), TestSeed.Fresh());
        MambaModelCheckpoint.Save(model, dir.Path);
        // Change config.json's d_model: every shape now disagrees with the weights.
        var configPath = Path.Combine(dir.Path, MambaConfigJson.FileName);
        File.WriteAllText(configPath, File.ReadAllText(configPath).Replace("\"d_model\": 16", "\"d_model\": 32"));
        var error = Assert.Throws<CheckpointException>(() => MambaModelCheckpoint.Load(dir.Path));
        Assert.Contains("shape", error.Message);
    }
}
