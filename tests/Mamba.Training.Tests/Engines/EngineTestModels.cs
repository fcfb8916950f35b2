using Mamba.Training.Engines;
using Mamba.Training.Model;
using Mamba.Core.Engines;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Model;
using static TorchSharp.torch;

namespace Mamba.Training.Tests.Engines;

/// <summary>Models and engines for the engine tests.</summary>
internal static class EngineTestModels
{
    /// <summary>
    /// A random-init model whose A_log, D and dt bias are spread out as training leaves them
    /// (the init's A = -(1..n) and tiny dt make the state forget within a few samples).
    /// </summary>
    public static MambaLM Create(MambaConfig config, int seed)
    {
        var model = new MambaLM(config, seed);
        using var _ = no_grad();
        var generator = new Generator((ulong)seed + 1);
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.EndsWith("A_log")) p.add_(randn(p.shape, generator: generator) * 0.5);
            else if (name.EndsWith(".D")) p.add_(randn(p.shape, generator: generator) * 0.3);
            else if (name.EndsWith("dt_proj.bias")) p.add_(randn(p.shape, generator: generator));
            else if (name.EndsWith("embedding.weight")) p.mul_(20);   // logits of order 1, not 0.02
        }
        return model;
    }

    public static IStepEngine Engine(string kind, MambaLM model, int slots) => kind switch
    {
        "cpu" => new CpuStepEngine(model.ToCpuWeights(), slots),
        "cpu-scalar" => new CpuStepEngine(model.ToCpuWeights(), slots, new CpuEngineOptions(VectorWidth: CpuVectorWidth.Scalar)),
        "cpu-1thread" => new CpuStepEngine(model.ToCpuWeights(), slots, new CpuEngineOptions(Threads: 1)),
        "torch" => new TorchStepEngine(model, slots),
        _ => throw new ArgumentException(kind),
    };

    public static byte[] RandomTokens(int seed, int length)
    {
        var random = new Random(seed);
        var tokens = new byte[length];
        // A random walk around silence looks more like audio than white noise.
        int x = 128;
        for (int i = 0; i < length; i++) tokens[i] = (byte)(x = Math.Clamp(x + random.Next(-9, 10), 0, 255));
        return tokens;
    }
}
