using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Mamba.Core.Checkpoints;

/// <summary>
/// One tensor of a safetensors file as the format stores it: element type, shape, and the
/// little-endian bytes of its elements in row-major order. Knows nothing of any tensor framework;
/// Mamba.Training converts to and from TorchSharp tensors.
/// </summary>
public sealed class SafeTensor
{
    /// <exception cref="ArgumentException">The bytes do not fit the dtype and shape.</exception>
    public SafeTensor(SafeTensorsDType dtype, IReadOnlyList<long> shape, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        long elements = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"shape {SafeTensorEntry.FormatShape(shape)} has a negative dimension.", nameof(shape));
            elements = checked(elements * d);
        }
        if (checked(elements * dtype.ByteSize()) != data.Length)
            throw new ArgumentException($"{data.Length} bytes do not hold a {dtype.FormatName()} tensor of shape {SafeTensorEntry.FormatShape(shape)} ({elements * dtype.ByteSize()} bytes).", nameof(data));
        DType = dtype;
        Shape = shape.ToArray();
        Data = data;
        ElementCount = elements;
    }

    public SafeTensorsDType DType { get; }

    /// <summary>Dimensions; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The elements' bytes, little-endian, row-major.</summary>
    public byte[] Data { get; }

    public long ElementCount { get; }

    /// <summary>A float32 tensor holding <paramref name="values"/> (copied).</summary>
    public static SafeTensor FromFloats(ReadOnlySpan<float> values, params long[] shape)
    {
        var data = new byte[values.Length * sizeof(float)];
        MemoryMarshal.AsBytes(values).CopyTo(data);   // little-endian host (checked by SafeTensorsFile)
        return new SafeTensor(SafeTensorsDType.F32, shape, data);
    }

    /// <summary>
    /// The values as float32: F32 as stored, BF16 and F16 widened exactly (every such value is a
    /// float32); other dtypes are refused, since a cast would change the numbers silently.
    /// </summary>
    /// <exception cref="InvalidOperationException">The dtype is not F32, BF16 or F16.</exception>
    public float[] ToFloats()
    {
        var result = new float[ElementCount];
        switch (DType)
        {
            case SafeTensorsDType.F32:
                MemoryMarshal.Cast<byte, float>(Data).CopyTo(result);
                break;
            case SafeTensorsDType.BF16:
                for (int i = 0; i < result.Length; i++)
                    result[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(Data.AsSpan(2 * i)) << 16);
                break;
            case SafeTensorsDType.F16:
                for (int i = 0; i < result.Length; i++)
                    result[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(Data.AsSpan(2 * i)));
                break;
            default:
                throw new InvalidOperationException($"a {DType.FormatName()} tensor has no exact float32 values; only F32, BF16 and F16 do.");
        }
        return result;
    }

    /// <summary>Same dtype, shape and bytes (so a NaN equals itself).</summary>
    public bool SameBits(SafeTensor other) =>
        DType == other.DType && Shape.SequenceEqual(other.Shape) && Data.AsSpan().SequenceEqual(other.Data);
}
