using Mamba.Core.Engines.Cpu;
using Mamba.Core.Model;
using Mamba.Training.Recurrent;
using Mamba.Training.Scan;
using static TorchSharp.torch;

namespace Mamba.Training.Model;

/// <summary>
/// mamba_ssm's MambaLMHeadModel: the backbone and an LM head tied to the embedding. Parameter
/// names equal mamba_ssm's (backbone.embedding.weight, backbone.layers.{i}.mixer.in_proj.weight,
/// ...); the tied head is not a separate parameter, as in PyTorch's named_parameters().
/// Logits cover the first <see cref="MambaConfig.VocabSize"/> rows (the padding rows are never a class).
/// </summary>
public sealed class MambaLM : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // names follow mamba_ssm's checkpoint keys
    private readonly MambaBackbone backbone;
#pragma warning restore IDE1006

    /// <param name="seed">Seeds the initialisation; null draws from torch's global generator.</param>
    public MambaLM(MambaConfig config, long? seed = null) : base(nameof(MambaLM))
    {
        Config = config.Validate();
        using var generator = seed is null ? null : new Generator((ulong)seed.Value);
        backbone = new MambaBackbone(config, generator);
        RegisterComponents();
    }

    public MambaConfig Config { get; }
    public MambaBackbone Backbone => backbone;

    /// <summary>The scan every mixer uses in <see cref="forward"/>; null = chosen by device.</summary>
    public ISelectiveScan? Scan => backbone.Layers[0].Mixer.Scan;

    /// <summary>Selects the selective scan for every layer (reference, fused CPU, ...); null = by device.</summary>
    public MambaLM UseScan(ISelectiveScan? scan)
    {
        foreach (var layer in backbone.Layers) layer.Mixer.Scan = scan;
        return this;
    }

    /// <summary>Parallel form. tokens: (b, l) int64 -> logits (b, l, v).</summary>
    public override Tensor forward(Tensor tokens) => Forward(tokens, null);

    /// <summary>
    /// Parallel form that also leaves, in <paramref name="finalState"/> (N = b), the recurrent
    /// state after the last position: stepping on from there continues the sequence.
    /// </summary>
    public Tensor Forward(Tensor tokens, MambaState? finalState)
    {
        if (finalState is not null && finalState.Streams != tokens.shape[0])
            throw new ArgumentException($"finalState has {finalState.Streams} streams, tokens have batch {tokens.shape[0]}.");
        using var scope = NewDisposeScope();
        var hidden = backbone.Forward(tokens, finalState);                   // (b, l, d)
        return Head(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>Recurrent form: tokens (N) int64 -> logits (N, v) for the next sample; state updated in place.</summary>
    public Tensor Step(Tensor tokens, MambaState state)
    {
        using var scope = NewDisposeScope();
        var hidden = backbone.Step(tokens, state);                           // (N, d)
        return Head(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>A zeroed state for N streams on the model's device.</summary>
    public MambaState AllocateState(long streams) =>
        new(Config, streams, backbone.EmbeddingWeight.device);

    /// <summary>The parameters (any device, any float dtype) copied into the CPU engine's layout.</summary>
    public CpuWeights ToCpuWeights()
    {
        var parameters = named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        return new CpuWeights(Config, name =>
        {
            using var scope = NewDisposeScope();
            return parameters[name].detach().to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        });
    }

    private Tensor Head(Tensor hidden) =>
        nn.functional.linear(hidden, backbone.EmbeddingWeight)[TensorIndex.Ellipsis, ..Config.VocabSize];
}
