namespace Mamba.Audio.Plugins;

/// <summary>
/// A parameter a plugin declares: its name (as written in a chain, "cutoff"), range, default and
/// unit. A continuous parameter takes any value in [Min, Max]; a choice takes one of
/// <see cref="Choices"/> (its value is the index). <see cref="Smoothed"/> parameters glide to a new
/// value over <see cref="AudioPlugin.SmoothingSeconds"/> instead of jumping, where a jump would click.
/// </summary>
public sealed record PluginParameter(string Name, float Min, float Max, float Default, string Unit = "", bool Smoothed = false,
    IReadOnlyList<string>? Choices = null, string Description = "")
{
    /// <summary>A parameter with named values; its value is the index of the choice.</summary>
    public static PluginParameter Choice(string name, IReadOnlyList<string> choices, int defaultIndex = 0, string description = "") =>
        new(name, 0, choices.Count - 1, defaultIndex, "", false, choices, description);

    /// <summary>Why <paramref name="value"/> is not a value of this parameter, or null.</summary>
    public string? Problem(float value)
    {
        if (!float.IsFinite(value)) return $"{Name} {value}: must be a finite number";
        if (value < Min || value > Max) return $"{Name} {value}: must be in {Min}..{Max}{(Unit.Length > 0 ? " " + Unit : "")}";
        if (Choices is not null && value != MathF.Round(value)) return $"{Name} {value}: must be one of {string.Join(", ", Choices)}";
        return null;
    }

    /// <summary>Reads a value as written in a chain: a number, or for a choice one of its names.</summary>
    public float Parse(string text)
    {
        if (Choices is not null)
        {
            int index = Choices.ToList().FindIndex(c => c.Equals(text, StringComparison.OrdinalIgnoreCase));
            if (index >= 0) return index;
        }
        if (!float.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float value))
            throw new ArgumentException(Choices is not null ? $"{Name}={text}: expected one of {string.Join(", ", Choices)}" : $"{Name}={text}: expected a number{(Unit.Length > 0 ? " in " + Unit : "")}");
        if (Problem(value) is { } problem) throw new ArgumentException(problem + ".");
        return value;
    }

    /// <summary>"cutoff 20..20000 Hz (default 1000)" for listings.</summary>
    public override string ToString() => Choices is not null
        ? $"{Name}: {string.Join(" | ", Choices)} (default {Choices[(int)Default]})"
        : $"{Name}: {Shown(Min)}..{Shown(Max)}{(Unit.Length > 0 ? " " + Unit : "")} (default {Shown(Default)}){(Smoothed ? ", smoothed" : "")}";

    /// <summary>Six significant digits: a bound scaled by the rate reads 1.6, not 1.5999999.</summary>
    private static string Shown(float value) => value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);
}
