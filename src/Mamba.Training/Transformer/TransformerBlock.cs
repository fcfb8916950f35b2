using Mamba.Training.Model;
using Mamba.Core.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mamba.Training.Transformer;

/// <summary>Pre-norm block: x + attn(norm(x)), then x + mlp(norm(x)).</summary>
public sealed class TransformerBlock : nn.Module<Tensor, Tensor>
{
    private readonly TransformerConfig config;
#pragma warning disable IDE1006 // names are the checkpoint keys
    private readonly RMSNorm attn_norm;
    private readonly Linear qkv;        // (3d, d)
    private readonly Linear proj;       // (d, d)
    private readonly RMSNorm mlp_norm;
    private readonly Linear fc_in;      // (f, d)
    private readonly Linear fc_out;     // (d, f)
#pragma warning restore IDE1006

    public TransformerBlock(TransformerConfig config, Generator? generator) : base(nameof(TransformerBlock))
    {
        this.config = config;
        int d = config.DModel, f = config.DFf;
        attn_norm = new RMSNorm(d);
        qkv = nn.Linear(d, 3 * d, hasBias: false);
        proj = nn.Linear(d, d, hasBias: false);
        mlp_norm = new RMSNorm(d);
        fc_in = nn.Linear(d, f);
        fc_out = nn.Linear(f, d);
        using (no_grad())
        {
            // GPT-2 style: N(0, 0.02), residual projections scaled by 1/sqrt(2 * n_layer), zero biases.
            double residualStd = 0.02 / Math.Sqrt(2.0 * config.NLayer);
            qkv.weight!.copy_(randn(qkv.weight.shape, generator: generator) * 0.02);
            fc_in.weight!.copy_(randn(fc_in.weight.shape, generator: generator) * 0.02);
            proj.weight!.copy_(randn(proj.weight.shape, generator: generator) * residualStd);
            fc_out.weight!.copy_(randn(fc_out.weight.shape, generator: generator) * residualStd);
            fc_in.bias!.zero_();
            fc_out.bias!.zero_();
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => throw new NotSupportedException("use Forward(x, rotary)");

    /// <summary>x: (b, l, d) -> (b, l, d), causal attention over the whole sequence.</summary>
    public Tensor Forward(Tensor x, (Tensor Cos, Tensor Sin) rotary)
    {
        using var scope = NewDisposeScope();
        var (q, k, v) = Heads(attn_norm.forward(x), rotary);                 // (b, h, l, hd)
        var a = F.scaled_dot_product_attention(q, k, v, is_casual: true);    // (b, h, l, hd)
        x = x + proj.forward(Merge(a));
        x = x + Mlp(x);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>x: (N, 1, d) -> (N, 1, d), attending to the cache plus this position.</summary>
    public Tensor Step(Tensor x, (Tensor Cos, Tensor Sin) rotary, TransformerCache cache, int layer)
    {
        using var scope = NewDisposeScope();
        var (q, k, v) = Heads(attn_norm.forward(x), rotary);                 // (N, h, 1, hd)
        var (keys, values) = cache.Append(layer, k, v);                      // (N, h, t+1, hd)
        var a = F.scaled_dot_product_attention(q, keys, values);             // (N, h, 1, hd)
        x = x + proj.forward(Merge(a));
        x = x + Mlp(x);
        return x.MoveToOuterDisposeScope();
    }

    private (Tensor Q, Tensor K, Tensor V) Heads(Tensor x, (Tensor Cos, Tensor Sin) rotary)
    {
        long b = x.shape[0], l = x.shape[1];
        var parts = qkv.forward(x).view(b, l, 3, config.NHead, config.HeadDim).permute(2, 0, 3, 1, 4); // (3, b, h, l, hd)
        return (RotaryEmbedding.Apply(parts[0], rotary), RotaryEmbedding.Apply(parts[1], rotary), parts[2]);
    }

    private static Tensor Merge(Tensor a) => a.transpose(1, 2).flatten(2);    // (b, l, d)

    private Tensor Mlp(Tensor x) => fc_out.forward(F.gelu(fc_in.forward(mlp_norm.forward(x))));
}
