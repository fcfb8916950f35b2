using Mamba.Training.Checkpoints;
using Mamba.Training.Model;
using System.Text.Json.Nodes;
using Mamba.Core.Checkpoints;
using Mamba.Core.Model;
using Mamba.Training.Transformer;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Models;

/// <summary>
/// A next-sample model over 256 mu-law classes, whichever architecture: tokens (b, l) -> logits
/// (b, l, 256). Saves and loads through the architecture's own checkpoint (Mamba: mamba_ssm names
/// and config; Transformer: its own), told apart by config.json.
/// </summary>
public sealed class AudioModel : IDisposable
{
    private AudioModel(nn.Module<Tensor, Tensor> module, Architecture architecture, string description, long parameters)
    {
        Module = module;
        Architecture = architecture;
        Description = description;
        Parameters = parameters;
    }

    public nn.Module<Tensor, Tensor> Module { get; }
    public Architecture Architecture { get; }
    public string Description { get; }
    public long Parameters { get; }

    /// <summary>The Mamba model, or null for another architecture.</summary>
    public MambaLM? Mamba => Module as MambaLM;

    public static AudioModel Create(AudioModelSpec spec, long seed, Device device)
    {
        if (spec.Architecture == Architecture.Mamba)
        {
            var config = spec.MambaConfig;
            var model = new MambaLM(config, seed);
            model.to(device);
            return new AudioModel(model, Architecture.Mamba, $"Mamba d_model {config.DModel} x {config.NLayer} layers", config.ParameterCount);
        }
        var tconfig = spec.TransformerConfig;
        var transformer = new TransformerLM(tconfig, seed);
        transformer.to(device);
        return new AudioModel(transformer, Architecture.Transformer,
            $"Transformer d_model {tconfig.DModel} x {tconfig.NLayer} layers, {tconfig.NHead} heads", tconfig.ParameterCount);
    }

    public Tensor Forward(Tensor tokens) => Module.forward(tokens);

    public void Save(string directory, JsonObject? extras = null)
    {
        if (Module is MambaLM mamba) MambaModelCheckpoint.Save(mamba, directory, extras);
        else TransformerCheckpoint.Save((TransformerLM)Module, directory, extras);
    }

    /// <summary>Loads either architecture from a checkpoint directory.</summary>
    public static AudioModel Load(string directory, Device device, out JsonObject? extras)
    {
        if (TransformerCheckpoint.IsTransformerConfig(directory))
        {
            var t = TransformerCheckpoint.Load(directory, device, out extras);
            return new AudioModel(t, Architecture.Transformer,
                $"Transformer d_model {t.Config.DModel} x {t.Config.NLayer} layers, {t.Config.NHead} heads", t.Config.ParameterCount);
        }
        var m = MambaModelCheckpoint.Load(directory, device, out extras);
        return new AudioModel(m, Architecture.Mamba, $"Mamba d_model {m.Config.DModel} x {m.Config.NLayer} layers", m.Config.ParameterCount);
    }

    public void Dispose() => Module.Dispose();
}
