namespace Mamba.Core.Model;

/// <summary>
/// The model sizes people train and measure, defined once: tiny (tests and CPUs, d_model 32 x 2
/// layers), small (64 x 4) and base (256 x 8), all with mamba_ssm's defaults otherwise.
/// </summary>
public static class MambaPresets
{
    public static IReadOnlyDictionary<string, MambaConfig> All { get; } = new Dictionary<string, MambaConfig>(StringComparer.Ordinal)
    {
        ["tiny"] = new MambaConfig(32, 2),
        ["small"] = new MambaConfig(64, 4),
        ["base"] = new MambaConfig(256, 8),
    };

    /// <summary>The names, in size order, for messages.</summary>
    public static string Names => string.Join(", ", All.Keys);

    /// <exception cref="ArgumentException">Not a preset name.</exception>
    public static MambaConfig Get(string name) =>
        All.TryGetValue(name, out var config) ? config : throw new ArgumentException($"preset '{name}': expected one of {Names}.");
}
