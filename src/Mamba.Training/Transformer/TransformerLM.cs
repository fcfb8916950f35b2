using Mamba.Training.Model;
using Mamba.Core.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mamba.Training.Transformer;

/// <summary>
/// The Transformer baseline (<see cref="TransformerConfig"/>): tokens (b, l) -> logits (b, l, v).
/// Parameter names follow the common GPT layout (embedding.weight, layers.{i}.attn.qkv.weight, ...).
/// </summary>
public sealed class TransformerLM : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // names are the checkpoint keys
    private readonly Embedding embedding;
    private readonly ModuleList<TransformerBlock> layers;
    private readonly RMSNorm norm_f;
#pragma warning restore IDE1006

    public TransformerLM(TransformerConfig config, long? seed = null) : base(nameof(TransformerLM))
    {
        Config = config.Validate();
        using var generator = seed is null ? null : new Generator((ulong)seed.Value);
        embedding = nn.Embedding(config.VocabSize, config.DModel);
        using (no_grad())
            embedding.weight!.copy_(randn(embedding.weight.shape, generator: generator) * 0.02);
        layers = nn.ModuleList(Enumerable.Range(0, config.NLayer).Select(_ => new TransformerBlock(config, generator)).ToArray());
        norm_f = new RMSNorm(config.DModel);
        RegisterComponents();
    }

    public TransformerConfig Config { get; }

    public override Tensor forward(Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var x = embedding.forward(tokens);                                   // (b, l, d)
        var rotary = RotaryEmbedding.Table(tokens.shape[1], Config.HeadDim, 0, x.device);
        foreach (var layer in layers) x = layer.Forward(x, rotary);
        x = norm_f.forward(x);
        return F.linear(x, embedding.weight!).MoveToOuterDisposeScope();    // (b, l, v)
    }

    /// <summary>
    /// One step for N streams with a key/value cache: token (N) at position <paramref name="position"/>
    /// -> logits (N, v). The cache grows with the context: (layers, 2, N, heads, position + 1, head_dim).
    /// </summary>
    public Tensor Step(Tensor tokens, TransformerCache cache)
    {
        using var scope = NewDisposeScope();
        var x = embedding.forward(tokens).unsqueeze(1);                      // (N, 1, d)
        var rotary = RotaryEmbedding.Table(1, Config.HeadDim, cache.Length, x.device);
        for (int i = 0; i < layers.Count; i++) x = layers[i].Step(x, rotary, cache, i);
        cache.Advance();
        x = norm_f.forward(x);
        return F.linear(x.squeeze(1), embedding.weight!).MoveToOuterDisposeScope();
    }
}
