using System.Buffers.Binary;
using Mamba.Core.Checkpoints;
using Mamba.Core.Model;

namespace Mamba.Core.Tests.Checkpoints;

/// <summary>Random tensors and byte helpers shared by the checkpoint tests; every call takes its own seed.</summary>
internal static class CheckpointTestData
{
    /// <summary>Every tensor of <see cref="MambaCheckpoint.ExpectedTensors"/> but lm_head, float32 N(0,1)-ish values.</summary>
    public static Dictionary<string, SafeTensor> RandomModel(MambaConfig config, int seed, bool withHead = false)
    {
        var rng = new Random(seed);
        var tensors = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        foreach (var spec in MambaCheckpoint.ExpectedTensors(config))
        {
            if (spec.Name == MambaCheckpoint.LmHeadName) continue;
            tensors[spec.Name] = RandomFloats(spec.Shape.ToArray(), rng);
        }
        if (withHead) tensors[MambaCheckpoint.LmHeadName] = tensors[MambaCheckpoint.EmbeddingName];
        return tensors;
    }

    /// <summary>A float32 tensor of finite random values (sign, magnitude and fraction all vary).</summary>
    public static SafeTensor RandomFloats(long[] shape, Random rng)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var data = new float[count];
        for (long i = 0; i < count; i++) data[i] = (float)((rng.NextDouble() * 2 - 1) * Math.Pow(10, rng.Next(-3, 3)));
        return SafeTensor.FromFloats(data, shape);
    }

    /// <summary>A tensor of the given dtype whose bytes are random (any bit pattern, NaNs included; BOOL gets 0/1).</summary>
    public static SafeTensor RandomBits(long[] shape, SafeTensorsDType dtype, Random rng)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var bytes = new byte[count * dtype.ByteSize()];
        rng.NextBytes(bytes);
        if (dtype == SafeTensorsDType.BOOL)
            for (int i = 0; i < bytes.Length; i++) bytes[i] &= 1;
        return new SafeTensor(dtype, shape, bytes);
    }

    /// <summary>A float32 tensor with every value mapped through <paramref name="f"/>.</summary>
    public static SafeTensor Map(SafeTensor t, Func<float, float> f) => SafeTensor.FromFloats(t.ToFloats().Select(f).ToArray(), t.Shape.ToArray());

    /// <summary>A float32 tensor in another float dtype, rounded to nearest (ties to even) as torch's to_type does.</summary>
    public static SafeTensor Converted(SafeTensor t, SafeTensorsDType dtype)
    {
        var values = t.ToFloats();
        var bytes = new byte[values.Length * dtype.ByteSize()];
        for (int i = 0; i < values.Length; i++)
        {
            switch (dtype)
            {
                case SafeTensorsDType.F64: BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i), values[i]); break;
                case SafeTensorsDType.F16: BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), (Half)values[i]); break;
                case SafeTensorsDType.BF16:
                    uint bits = BitConverter.SingleToUInt32Bits(values[i]);
                    uint rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16;   // finite values only (RandomFloats)
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), (ushort)rounded);
                    break;
                default: throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "a float dtype");
            }
        }
        return new SafeTensor(dtype, t.Shape, bytes);
    }

    /// <summary>The tensor's raw bytes.</summary>
    public static byte[] RawBytes(SafeTensor t) => t.Data;
}
