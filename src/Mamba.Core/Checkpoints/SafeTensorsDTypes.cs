using static TorchSharp.torch;

namespace Mamba.Core.Checkpoints;

/// <summary>Sizes, names and TorchSharp equivalents of <see cref="SafeTensorsDType"/>.</summary>
public static class SafeTensorsDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int ByteSize(this SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.F64 or SafeTensorsDType.I64 => 8,
        SafeTensorsDType.F32 or SafeTensorsDType.I32 => 4,
        SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.I16 => 2,
        SafeTensorsDType.I8 or SafeTensorsDType.U8 or SafeTensorsDType.BOOL => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>The format's name of the type, as written in the header ("F32").</summary>
    public static string FormatName(this SafeTensorsDType dtype) => dtype.ToString();

    /// <summary>Parses a header dtype name (exact, case-sensitive as the format defines it); false when unknown.</summary>
    public static bool TryParse(string name, out SafeTensorsDType dtype)
    {
        // Enum.TryParse would also accept "1" or "f32"; the format knows only its exact names.
        foreach (var candidate in Enum.GetValues<SafeTensorsDType>())
        {
            if (string.Equals(candidate.ToString(), name, StringComparison.Ordinal))
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }

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
