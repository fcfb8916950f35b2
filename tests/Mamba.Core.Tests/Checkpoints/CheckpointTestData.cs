using Mamba.Core.Checkpoints;
using Mamba.Core.Model;
using static TorchSharp.torch;

namespace Mamba.Core.Tests.Checkpoints;

/// <summary>Random tensors and byte helpers shared by the checkpoint tests; every call takes its own seed.</summary>
internal static class CheckpointTestData
{
    /// <summary>Every tensor of <see cref="MambaCheckpoint.ExpectedTensors"/> but lm_head, float32 N(0,1)-ish values.</summary>
    public static Dictionary<string, Tensor> RandomModel(MambaConfig config, int seed, bool withHead = false)
    {
        var rng = new Random(seed);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var spec in MambaCheckpoint.ExpectedTensors(config))
        {
            if (spec.Name == MambaCheckpoint.LmHeadName) continue;
            tensors[spec.Name] = RandomFloats(spec.Shape.ToArray(), rng);
        }
        if (withHead) tensors[MambaCheckpoint.LmHeadName] = tensors[MambaCheckpoint.EmbeddingName].clone();
        return tensors;
    }

    /// <summary>A float32 tensor of finite random values (sign, magnitude and fraction all vary).</summary>
    public static Tensor RandomFloats(long[] shape, Random rng)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var data = new float[count];
        for (long i = 0; i < count; i++) data[i] = (float)((rng.NextDouble() * 2 - 1) * Math.Pow(10, rng.Next(-3, 3)));
        return tensor(data, shape);
    }

    /// <summary>A tensor of the given dtype whose bytes are random (any bit pattern, NaNs included; BOOL gets 0/1).</summary>
    public static Tensor RandomBits(long[] shape, SafeTensorsDType dtype, Random rng)
    {
        var t = empty(shape, dtype.ToScalarType());
        if (t.numel() == 0) return t;
        var bytes = t.bytes;
        rng.NextBytes(bytes);
        if (dtype == SafeTensorsDType.BOOL)
            for (int i = 0; i < bytes.Length; i++) bytes[i] &= 1;
        return t;
    }

    /// <summary>A copy of the tensor's raw bytes (CPU, contiguous).</summary>
    public static byte[] RawBytes(Tensor t)
    {
        using var scope = NewDisposeScope();   // detach first: cpu()/contiguous() may hand back the same object
        var c = t.detach().cpu().contiguous();
        return c.numel() == 0 ? [] : c.bytes.ToArray();
    }

    public static void DisposeAll(IEnumerable<Tensor> tensors)
    {
        foreach (var t in tensors) t.Dispose();
    }
}
