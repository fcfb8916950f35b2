using System.Text.Json.Nodes;
using Mamba.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Checkpoints;

/// <summary>Moves a <see cref="MambaLM"/> to and from a checkpoint directory (<see cref="MambaCheckpoint"/>).</summary>
public static class MambaModelCheckpoint
{
    /// <summary>Saves the model's parameters (copied to the CPU) and config atomically.</summary>
    public static void Save(MambaLM model, string directory, JsonObject? extras = null)
    {
        using var scope = NewDisposeScope();
        var tensors = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().cpu());
        MambaCheckpoint.Save(directory, model.Config, tensors, extras);
    }

    /// <summary>
    /// Builds a model from a checkpoint (a directory or its model.safetensors) on
    /// <paramref name="device"/>. Every parameter is checked and copied before the model is
    /// returned; on any error nothing half-loaded escapes.
    /// </summary>
    public static MambaLM Load(string path, Device? device = null) => Load(path, device, out _);

    public static MambaLM Load(string path, Device? device, out JsonObject? extras)
    {
        using var checkpoint = MambaCheckpoint.Load(path);
        var model = new MambaLM(checkpoint.Config, seed: 0);
        try
        {
            using (no_grad())
            {
                foreach (var (name, parameter) in model.named_parameters())
                {
                    if (!checkpoint.Tensors.TryGetValue(name, out var source))
                        throw new CheckpointException($"{path}: no tensor '{name}' for the model's parameter of that name.");
                    parameter.copy_(source);
                }
            }
            if (device is not null) model.to(device);
            extras = checkpoint.Extras?.DeepClone().AsObject();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
