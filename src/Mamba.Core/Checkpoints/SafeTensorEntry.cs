namespace Mamba.Core.Checkpoints;

/// <summary>
/// One tensor as a safetensors header describes it, already checked for internal consistency
/// (known dtype, byte size = product(shape) * dtype size).
/// </summary>
/// <param name="Name">The tensor's key in the header (a checkpoint name such as "backbone.norm_f.weight").</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions; empty for a scalar.</param>
/// <param name="Begin">First byte, relative to the start of the data section.</param>
/// <param name="End">One past the last byte, relative to the start of the data section.</param>
public sealed record SafeTensorEntry(string Name, SafeTensorsDType DType, IReadOnlyList<long> Shape, long Begin, long End)
{
    /// <summary>Bytes of data: End - Begin.</summary>
    public long ByteLength => End - Begin;

    /// <summary>The shape as "(a, b, c)", the way error messages print it.</summary>
    public string ShapeText => FormatShape(Shape);

    /// <summary>Formats a shape as "(a, b, c)"; "()" for a scalar.</summary>
    public static string FormatShape(IReadOnlyList<long> shape) => "(" + string.Join(", ", shape) + ")";
}
