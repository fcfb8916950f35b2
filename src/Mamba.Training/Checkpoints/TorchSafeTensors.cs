using Mamba.Core.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Checkpoints;

/// <summary>
/// The adapters between TorchSharp tensors and the Core checkpoint format (<see cref="SafeTensor"/>,
/// <see cref="SafeTensorsFile"/>), which knows nothing of torch: element types, and copies of the
/// bytes each way.
/// </summary>
public static class TorchSafeTensors
{
    /// <summary>A CPU tensor holding a copy of <paramref name="source"/>'s elements, bit for bit.</summary>
    public static Tensor ToTorch(SafeTensor source)
    {
        var tensor = empty(source.Shape.ToArray(), ToScalarType(source.DType));
        if (source.Data.Length > 0) source.Data.CopyTo(tensor.bytes);
        return tensor;
    }

    /// <summary>A copy of the tensor's elements (any device, any layout) in the format's terms.</summary>
    /// <exception cref="ArgumentException">The dtype has no safetensors equivalent here.</exception>
    public static SafeTensor FromTorch(Tensor tensor, string name = "tensor")
    {
        if (!TryFromScalarType(tensor.dtype, out var dtype))
            throw new ArgumentException($"Tensor '{name}' has dtype {tensor.dtype}, which safetensors (as read here) cannot hold.", nameof(tensor));
        using var scope = NewDisposeScope();   // owns the CPU/contiguous copies made here, never the caller's tensor
        var cpu = tensor.detach().cpu().contiguous();
        var bytes = cpu.numel() == 0 ? [] : cpu.bytes.ToArray();
        return new SafeTensor(dtype, cpu.shape, bytes);
    }

    /// <summary>Writes tensors (any device) to a safetensors stream, in the order given.</summary>
    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensorsFile.Write(stream, tensors.Select(kv => new KeyValuePair<string, SafeTensor>(kv.Key, FromTorch(kv.Value, kv.Key))), metadata);

    /// <summary>The TorchSharp element type holding this format type bit for bit.</summary>
    public static ScalarType ToScalarType(this SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.F64 => ScalarType.Float64,
        SafeTensorsDType.F32 => ScalarType.Float32,
        SafeTensorsDType.F16 => ScalarType.Float16,
        SafeTensorsDType.BF16 => ScalarType.BFloat16,
        SafeTensorsDType.I64 => ScalarType.Int64,
        SafeTensorsDType.I32 => ScalarType.Int32,
        SafeTensorsDType.I16 => ScalarType.Int16,
        SafeTensorsDType.I8 => ScalarType.Int8,
        SafeTensorsDType.U8 => ScalarType.Byte,
        SafeTensorsDType.BOOL => ScalarType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>The format type of a TorchSharp element type; false for types the format (or this reader) lacks.</summary>
    public static bool TryFromScalarType(ScalarType type, out SafeTensorsDType dtype)
    {
        switch (type)
        {
            case ScalarType.Float64: dtype = SafeTensorsDType.F64; return true;
            case ScalarType.Float32: dtype = SafeTensorsDType.F32; return true;
            case ScalarType.Float16: dtype = SafeTensorsDType.F16; return true;
            case ScalarType.BFloat16: dtype = SafeTensorsDType.BF16; return true;
            case ScalarType.Int64: dtype = SafeTensorsDType.I64; return true;
            case ScalarType.Int32: dtype = SafeTensorsDType.I32; return true;
            case ScalarType.Int16: dtype = SafeTensorsDType.I16; return true;
            case ScalarType.Int8: dtype = SafeTensorsDType.I8; return true;
            case ScalarType.Byte: dtype = SafeTensorsDType.U8; return true;
            case ScalarType.Bool: dtype = SafeTensorsDType.BOOL; return true;
            default: dtype = default; return false;
        }
    }
}
