using Mamba.Core.Model;
using Mamba.Core.Transformer;

namespace Mamba.Audio.Models;

/// <summary>The architectures <c>mamba-audio train</c> can build.</summary>
public enum Architecture { Mamba, Transformer }

/// <summary>
/// What to build: an architecture and its size. Presets are the sizes people train
/// (tiny for tests and CPUs, small = d_model 64 x 4 layers, base = d_model 256 x 8 layers); the
/// Transformer takes the same number of layers and the width that matches the Mamba's parameter count.
/// </summary>
public sealed record AudioModelSpec(Architecture Architecture, int DModel, int NLayer)
{
    public static readonly IReadOnlyDictionary<string, (int DModel, int NLayer)> Presets = new Dictionary<string, (int, int)>
    {
        ["tiny"] = (32, 2),
        ["small"] = (64, 4),
        ["base"] = (256, 8),
    };

    public static AudioModelSpec FromPreset(string preset, Architecture architecture) =>
        Presets.TryGetValue(preset, out var size)
            ? new AudioModelSpec(architecture, size.DModel, size.NLayer)
            : throw new ArgumentException($"preset '{preset}': expected one of {string.Join(", ", Presets.Keys)}.");

    /// <summary>The Mamba config of this size (256 mu-law classes).</summary>
    public MambaConfig MambaConfig => new MambaConfig(DModel, NLayer).Validate();

    /// <summary>The Transformer whose parameter count matches the Mamba of this size.</summary>
    public TransformerConfig TransformerConfig => Mamba.Core.Transformer.TransformerConfig.Matching(MambaConfig.ParameterCount, NLayer);
}
