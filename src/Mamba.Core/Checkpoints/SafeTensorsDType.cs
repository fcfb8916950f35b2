namespace Mamba.Core.Checkpoints;

/// <summary>
/// Element types of the safetensors format that this project reads and writes; the names are the
/// format's own ("F32", "BF16", ...), see <see cref="SafeTensorsDTypes"/> for sizes. Others of the format (F8_*, U16, U32, U64, complex) are refused.
/// </summary>
public enum SafeTensorsDType
{
    /// <summary>IEEE 754 binary64.</summary>
    F64,
    /// <summary>IEEE 754 binary32: every weight of a Mamba checkpoint written here.</summary>
    F32,
    /// <summary>IEEE 754 binary16.</summary>
    F16,
    /// <summary>bfloat16: the top half of a binary32.</summary>
    BF16,
    /// <summary>Signed 64-bit integer.</summary>
    I64,
    /// <summary>Signed 32-bit integer.</summary>
    I32,
    /// <summary>Signed 16-bit integer.</summary>
    I16,
    /// <summary>Signed 8-bit integer.</summary>
    I8,
    /// <summary>Unsigned 8-bit integer.</summary>
    U8,
    /// <summary>Boolean, one byte per element (0 or 1).</summary>
    BOOL,
}
