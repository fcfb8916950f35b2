using Mamba.Core.Model;
using Mamba.Training.Tests.Support;
using Mamba.Training.Transformer;
using static TorchSharp.torch;

namespace Mamba.Training.Tests.Transformer;

public class TransformerLMTests
{
    [Fact]
    public void CachedStep_MatchesForward_AtEveryPosition()
    {
        int seed = TestSeed.Fresh();
        using var _ = no_grad();
        var config = new TransformerConfig(32, 2, 2);
        using var model = new TransformerLM(config, seed);
        var tokens = randint(0, 256, new long[] { 2, 25 }, generator: new Generator((ulong)seed));
        var parallel = model.forward(tokens);
        using var cache = new TransformerCache(config, 2, 25);
        for (int t = 0; t < 25; t++)
            TensorAssert.Close(model.Step(tokens[.., t], cache), parallel[.., t], 1e-4, $"seed {seed}, position {t}");
    }

    [Fact]
    public void ForwardIsCausal_LaterTokensDoNotChangeEarlierLogits()
    {
        int seed = TestSeed.Fresh();
        using var _ = no_grad();
        using var model = new TransformerLM(new TransformerConfig(32, 1, 4), seed);
        var tokens = randint(0, 256, new long[] { 1, 20 }, generator: new Generator((ulong)seed));
        var changed = tokens.clone();
        changed[0, 15] = (tokens[0, 15] + 1) % 256;
        Assert.True(model.forward(tokens)[.., ..15].allclose(model.forward(changed)[.., ..15], 1e-6, 1e-6));
    }

    [Fact]
    public void ParameterCount_MatchesTheModule_AndMatchingSizesTrackMamba()
    {
        var config = new TransformerConfig(48, 3, 3);
        using var model = new TransformerLM(config, 1);
        Assert.Equal(config.ParameterCount, model.parameters().Sum(p => p.numel()));

        foreach (var mamba in new[] { new MambaConfig(64, 4), new MambaConfig(256, 8) })
        {
            var matched = TransformerConfig.Matching(mamba.ParameterCount, mamba.NLayer);
            double ratio = (double)matched.ParameterCount / mamba.ParameterCount;
            Assert.InRange(ratio, 0.9, 1.1);
        }
    }
}
