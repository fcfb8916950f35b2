using static TorchSharp.torch;

namespace Mamba.Training.Transformer;

/// <summary>Rotary position embeddings (RoFormer), rotating pairs (i, i + hd/2) of each head.</summary>
public static class RotaryEmbedding
{
    public const double Base = 10000.0;

    /// <summary>cos and sin tables for positions start..start+length-1: each (length, hd/2).</summary>
    public static (Tensor Cos, Tensor Sin) Table(long length, int headDim, long start, Device device)
    {
        var inv = pow(Base, -arange(0, headDim, 2, dtype: ScalarType.Float64) / headDim);    // (hd/2)
        var positions = arange(start, start + length, dtype: ScalarType.Float64);            // (l)
        var angles = outer(positions, inv);                                                 // (l, hd/2)
        return (angles.cos().to_type(ScalarType.Float32).to(device), angles.sin().to_type(ScalarType.Float32).to(device));
    }

    /// <summary>x: (b, h, l, hd) -> rotated, same shape.</summary>
    public static Tensor Apply(Tensor x, (Tensor Cos, Tensor Sin) table)
    {
        long half = x.shape[^1] / 2;
        var x1 = x[TensorIndex.Ellipsis, ..(int)half];
        var x2 = x[TensorIndex.Ellipsis, (int)half..];
        return cat(new[] { x1 * table.Cos - x2 * table.Sin, x1 * table.Sin + x2 * table.Cos }, -1);
    }
}
