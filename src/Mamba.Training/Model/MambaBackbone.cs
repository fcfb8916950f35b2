using Mamba.Core.Model;
using Mamba.Training.Recurrent;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Training.Model;

/// <summary>mamba_ssm's MixerModel: embedding, the residual blocks, final RMSNorm.</summary>
public sealed class MambaBackbone : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // names follow mamba_ssm's checkpoint keys
    private readonly Embedding embedding;          // (v_padded, d)
    private readonly ModuleList<MambaBlock> layers;
    private readonly RMSNorm norm_f;
#pragma warning restore IDE1006

    public MambaBackbone(MambaConfig config, Generator? generator = null) : base(nameof(MambaBackbone))
    {
        embedding = nn.Embedding(config.PaddedVocabSize, config.DModel);
        TorchInitialization.InitializeEmbedding(embedding.weight!, generator);
        layers = nn.ModuleList(Enumerable.Range(0, config.NLayer).Select(_ => new MambaBlock(config, generator)).ToArray());
        norm_f = new RMSNorm(config.DModel);
        RegisterComponents();
    }

    public Tensor EmbeddingWeight => embedding.weight!;
    public IList<MambaBlock> Layers => layers;
    public RMSNorm NormF => norm_f;

    /// <summary>tokens: (b, l) int64 -> hidden (b, l, d), normalised.</summary>
    public override Tensor forward(Tensor tokens) => Forward(tokens, null);

    public Tensor Forward(Tensor tokens, MambaState? finalState)
    {
        using var scope = NewDisposeScope();
        var residual = embedding.forward(tokens).to_type(ScalarType.Float32);   // (b, l, d)
        for (int i = 0; i < layers.Count; i++)
            residual = layers[i].Forward(residual, finalState?.Layers[i]);
        return norm_f.forward(residual).MoveToOuterDisposeScope();
    }

    /// <summary>tokens: (N) int64 -> hidden (N, d), normalised; state updated in place.</summary>
    public Tensor Step(Tensor tokens, MambaState state)
    {
        using var scope = NewDisposeScope();
        var residual = embedding.forward(tokens).to_type(ScalarType.Float32);   // (N, d)
        for (int i = 0; i < layers.Count; i++)
            residual = layers[i].Step(residual, state.Layers[i]);
        return norm_f.forward(residual).MoveToOuterDisposeScope();
    }
}
