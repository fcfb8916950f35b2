using Mamba.Training.Model;
using Mamba.Core.Model;
using Mamba.Training.Tests.Support;
using static TorchSharp.torch;

namespace Mamba.Training.Tests.Model;

public class InitializationTests
{
    private static Dictionary<string, Tensor> Parameters(MambaLM model) =>
        model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);

    [Fact]
    public void ParameterNames_EqualMambaSsmNames()
    {
        var config = new MambaConfig(24, 2);
        using var model = new MambaLM(config, TestSeed.Fresh());
        var expected = new List<string> { "backbone.embedding.weight" };
        for (int i = 0; i < 2; i++)
        {
            expected.Add($"backbone.layers.{i}.norm.weight");
            foreach (var name in new[] { "in_proj.weight", "conv1d.weight", "conv1d.bias", "x_proj.weight",
                         "dt_proj.weight", "dt_proj.bias", "A_log", "D", "out_proj.weight" })
                expected.Add($"backbone.layers.{i}.mixer.{name}");
        }
        expected.Add("backbone.norm_f.weight");
        Assert.Equal(expected.Order(), Parameters(model).Keys.Order());
        Assert.Equal(config.ParameterCount, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void DtBias_StartsBetweenDtMinAndDtMax_AfterSoftplus()
    {
        var config = new MambaConfig(64, 2);
        using var model = new MambaLM(config, TestSeed.Fresh());
        foreach (var (name, p) in Parameters(model).Where(p => p.Key.EndsWith("dt_proj.bias")))
        {
            var dt = nn.functional.softplus(p.detach());
            Assert.True(dt.min().item<float>() >= MambaInitialization.DtMin * 0.999, $"{name}: min dt {dt.min().item<float>()}");
            Assert.True(dt.max().item<float>() <= MambaInitialization.DtMax * 1.001, $"{name}: max dt {dt.max().item<float>()}");
            // log-uniform: the median sits near the geometric mean, 1e-2.
            double median = dt.median().item<float>();
            Assert.InRange(median, 3e-3, 3e-2);
        }
    }

    [Fact]
    public void ALogAndD_FollowS4DReal_AndStayFloat32()
    {
        var config = new MambaConfig(24, 1, DState: 16);
        using var model = new MambaLM(config, TestSeed.Fresh());
        var p = Parameters(model);
        var aLog = p["backbone.layers.0.mixer.A_log"];
        var d = p["backbone.layers.0.mixer.D"];
        Assert.Equal(ScalarType.Float32, aLog.dtype);
        Assert.Equal(ScalarType.Float32, d.dtype);
        var expected = log(arange(1, 17, dtype: ScalarType.Float32)).unsqueeze(0).expand(config.DInner, 16);
        Assert.True(aLog.allclose(expected, 0, 0), "A_log must be log(1..n) for every channel");
        Assert.True(d.allclose(ones(config.DInner), 0, 0), "D must start at 1");
    }

    [Fact]
    public void WeightRanges_FollowMambaSsm()
    {
        var config = new MambaConfig(64, 4);
        using var model = new MambaLM(config, TestSeed.Fresh());
        var p = Parameters(model);
        double embStd = p["backbone.embedding.weight"].std().item<float>();
        Assert.InRange(embStd, 0.018, 0.022);

        double dtBound = Math.Pow(config.DtRank, -0.5);
        Assert.True(p["backbone.layers.0.mixer.dt_proj.weight"].abs().max().item<float>() <= dtBound + 1e-6);
        Assert.True(p["backbone.layers.0.mixer.dt_proj.weight"].abs().max().item<float>() > dtBound * 0.9);

        // out_proj: default kaiming-uniform bound 1/sqrt(d_inner), divided by sqrt(n_layer).
        double outBound = 1.0 / Math.Sqrt(config.DInner) / Math.Sqrt(config.NLayer);
        var outMax = p["backbone.layers.0.mixer.out_proj.weight"].abs().max().item<float>();
        Assert.InRange(outMax, outBound * 0.9, outBound + 1e-6);

        Assert.True(p["backbone.norm_f.weight"].allclose(ones(64), 0, 0));
    }

    [Fact]
    public void Head_IsTiedToTheEmbedding()
    {
        using var _ = no_grad();
        var config = new MambaConfig(16, 1);
        using var model = new MambaLM(config, TestSeed.Fresh());
        var tokens = tensor(new long[] { 1, 2, 3 }).unsqueeze(0);
        var before = model.forward(tokens).clone();
        // Changing one embedding row changes that class's logit everywhere: the head reads the embedding.
        model.Backbone.EmbeddingWeight[200].add_(1.0f);
        var after = model.forward(tokens);
        Assert.False(after[.., .., 200].allclose(before[.., .., 200], 0, 0));
        Assert.Equal(config.VocabSize, after.shape[2]);
    }
}
