using System.Text.Json.Nodes;
using Mamba.Core.Model;
using static TorchSharp.torch;

namespace Mamba.Core.Checkpoints;

/// <summary>
/// A checkpoint read by <see cref="MambaCheckpoint.Load"/>: the config, every tensor of
/// <see cref="MambaCheckpoint.ExpectedTensors"/> (CPU, float32), and this project's extra
/// config fields. Owns the tensors: disposing it disposes those still in <see cref="Tensors"/>;
/// Remove a tensor from the dictionary to keep it.
/// </summary>
public sealed class LoadedCheckpoint : IDisposable
{
    /// <summary>Wraps what was loaded; takes ownership of the tensors.</summary>
    public LoadedCheckpoint(MambaConfig config, Dictionary<string, Tensor> tensors, JsonObject? extras, bool hashVerified)
    {
        Config = config;
        Tensors = tensors;
        Extras = extras;
        HashVerified = hashVerified;
    }

    /// <summary>The model's size, from config.json.</summary>
    public MambaConfig Config { get; }

    /// <summary>
    /// Tensors by mamba_ssm name, float32 on the CPU. lm_head.weight is always present and equal to
    /// backbone.embedding.weight (its own copy), as mamba_ssm's tied head is.
    /// </summary>
    public Dictionary<string, Tensor> Tensors { get; }

    /// <summary>config.json's <see cref="MambaConfigJson.ExtrasKey"/> object, or null when absent.</summary>
    public JsonObject? Extras { get; }

    /// <summary>True when the weights carried this project's content hash and it matched.</summary>
    public bool HashVerified { get; }

    /// <summary>Disposes every tensor still held.</summary>
    public void Dispose()
    {
        foreach (var tensor in Tensors.Values) tensor.Dispose();
        Tensors.Clear();
    }
}
