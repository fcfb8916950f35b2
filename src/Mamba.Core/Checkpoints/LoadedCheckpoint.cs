using System.Text.Json.Nodes;
using Mamba.Core.Model;

namespace Mamba.Core.Checkpoints;

/// <summary>
/// A checkpoint read by <see cref="MambaCheckpoint.Load"/>: the config, every tensor of
/// <see cref="MambaCheckpoint.ExpectedTensors"/> as float32, the audio sample rate the model was
/// trained at, and this project's extra config fields.
/// </summary>
/// <param name="Config">The model's size, from config.json.</param>
/// <param name="Tensors">
/// Tensors by mamba_ssm name, all F32 (half precision widened on load). lm_head.weight is always
/// present and equal to backbone.embedding.weight, as mamba_ssm's tied head is.
/// </param>
/// <param name="Extras">config.json's <see cref="MambaConfigJson.ExtrasKey"/> object, or null when absent.</param>
/// <param name="SampleRate">Samples per second of the audio the model was trained on (<see cref="CheckpointSampleRate"/>).</param>
/// <param name="HashVerified">True when the weights carried this project's content hash and it matched.</param>
public sealed record LoadedCheckpoint(
    MambaConfig Config,
    IReadOnlyDictionary<string, SafeTensor> Tensors,
    JsonObject? Extras,
    int SampleRate,
    bool HashVerified)
{
    /// <summary>The float32 values of a tensor, in PyTorch's row-major layout (a fresh copy).</summary>
    /// <exception cref="KeyNotFoundException">No tensor of that name.</exception>
    public float[] Floats(string name) =>
        Tensors.TryGetValue(name, out var tensor) ? tensor.ToFloats()
            : throw new KeyNotFoundException($"the checkpoint has no tensor '{name}'.");
}
