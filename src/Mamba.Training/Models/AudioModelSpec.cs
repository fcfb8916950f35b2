using Mamba.Core.Model;
using Mamba.Training.Transformer;

namespace Mamba.Training.Models;

/// <summary>The architectures <c>mamba-audio train</c> can build.</summary>
public enum Architecture { Mamba, Transformer }

/// <summary>
/// What to build: an architecture and its size (<see cref="MambaPresets"/> names the usual ones); the
/// Transformer takes the same number of layers and the width that matches the Mamba's parameter count.
/// </summary>
public sealed record AudioModelSpec(Architecture Architecture, int DModel, int NLayer)
{
    /// <summary>A preset of <see cref="MambaPresets"/> in either architecture.</summary>
    public static AudioModelSpec FromPreset(string preset, Architecture architecture)
    {
        var config = MambaPresets.Get(preset);
        return new AudioModelSpec(architecture, config.DModel, config.NLayer);
    }

    /// <summary>The Mamba config of this size (256 mu-law classes).</summary>
    public MambaConfig MambaConfig => new MambaConfig(DModel, NLayer).Validate();

    /// <summary>The Transformer whose parameter count matches the Mamba of this size.</summary>
    public TransformerConfig TransformerConfig => Mamba.Training.Transformer.TransformerConfig.Matching(MambaConfig.ParameterCount, NLayer);
}
