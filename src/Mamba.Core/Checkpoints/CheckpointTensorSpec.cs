namespace Mamba.Core.Checkpoints;

/// <summary>
/// One tensor a checkpoint of a given <see cref="Model.MambaConfig"/> must hold, with mamba_ssm's
/// name, its shape and the dtype it is written in.
/// </summary>
/// <param name="Name">mamba_ssm's state-dict key ("backbone.layers.0.mixer.in_proj.weight").</param>
/// <param name="Shape">Dimensions for this config.</param>
/// <param name="DType">Dtype written by this project (always F32).</param>
/// <param name="ShapeFormula">The shape in config terms ("(2*d_inner, d_model)"), for error messages.</param>
/// <param name="AcceptsHalfPrecision">
/// Whether a loaded file may hold it as BF16 or F16 (widened to F32 on load, exactly). False for
/// A_log and D, which mamba_ssm keeps in float32 whatever the model's dtype, so a file with them in
/// half precision was made by something that does not follow the reference.
/// </param>
public sealed record CheckpointTensorSpec(
    string Name,
    IReadOnlyList<long> Shape,
    SafeTensorsDType DType,
    string ShapeFormula,
    bool AcceptsHalfPrecision)
{
    /// <summary>The shape as "(a, b)".</summary>
    public string ShapeText => SafeTensorEntry.FormatShape(Shape);

    /// <summary>Whether the tensor belongs to a layer (its count follows n_layer).</summary>
    public bool IsPerLayer => Name.StartsWith("backbone.layers.", StringComparison.Ordinal);
}
