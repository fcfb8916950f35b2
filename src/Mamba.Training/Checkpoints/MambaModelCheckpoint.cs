using System.Text.Json.Nodes;
using Mamba.Core.Checkpoints;
using Mamba.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Checkpoints;

/// <summary>Moves a <see cref="MambaLM"/> to and from a checkpoint directory (<see cref="MambaCheckpoint"/>).</summary>
public static class MambaModelCheckpoint
{
    /// <summary>Saves the model's parameters (copied to the CPU) and config atomically.</summary>
    public static void Save(MambaLM model, string directory, JsonObject? extras = null)
    {
        var tensors = model.named_parameters().ToDictionary(p => p.name, p => TorchSafeTensors.FromTorch(p.parameter, p.name));
        MambaCheckpoint.Save(directory, model.Config, tensors, extras);
    }

    /// <summary>
    /// Builds a model from a checkpoint (a directory or its model.safetensors) on
    /// <paramref name="device"/>. Every parameter is checked and copied before the model is
    /// returned; on any error nothing half-loaded escapes.
    /// </summary>
    public static MambaLM Load(string path, Device? device = null) => Load(path, device, out _);

    public static MambaLM Load(string path, Device? device, out JsonObject? extras) => Load(MambaCheckpoint.Load(path), path, device, out extras);

    /// <summary>Builds a model from a checkpoint already read (by <see cref="MambaCheckpoint.Load"/>).</summary>
    public static MambaLM Load(LoadedCheckpoint checkpoint, string path, Device? device, out JsonObject? extras)
    {
        var model = new MambaLM(checkpoint.Config, seed: 0);
        try
        {
            using (no_grad())
            {
                foreach (var (name, parameter) in model.named_parameters())
                {
                    if (!checkpoint.Tensors.TryGetValue(name, out var source))
                        throw new CheckpointException($"{path}: no tensor '{name}' for the model's parameter of that name.");
                    using var values = TorchSafeTensors.ToTorch(source);
                    parameter.copy_(values);
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
