namespace Mamba.Audio.Plugins.Ladspa;

/// <summary>One port of a LADSPA plugin as its descriptor declares it (ladspa.h: LADSPA_PortDescriptor and LADSPA_PortRangeHint).</summary>
public sealed record LadspaPort(int Index, string Name, bool IsInput, bool IsAudio, int Hints, float LowerBound, float UpperBound)
{
    private const int BoundedBelow = 0x1, BoundedAbove = 0x2, Toggled = 0x4, SampleRate = 0x8, Logarithmic = 0x10, Integer = 0x20, DefaultMask = 0x3C0;

    public bool IsControl => !IsAudio;

    /// <summary>The port's name as a chain parameter: lower case, runs of other characters as '_' ("L Delay [ms]" is l_delay_ms).</summary>
    public string ParameterName
    {
        get
        {
            var chars = Name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray();
            var name = string.Join('_', new string(chars).Split('_', StringSplitOptions.RemoveEmptyEntries));
            return name.Length == 0 ? $"port{Index}" : name;
        }
    }

    /// <summary>The control's range and default at <paramref name="sampleRate"/>, computed as ladspa.h specifies (bounds scaled by the rate where hinted; LOW, MIDDLE and HIGH between the bounds, geometric when logarithmic).</summary>
    public PluginParameter ToParameter(int sampleRate, string name)
    {
        float scale = (Hints & SampleRate) != 0 ? sampleRate : 1;
        bool toggled = (Hints & Toggled) != 0;
        float min = toggled ? 0 : (Hints & BoundedBelow) != 0 ? LowerBound * scale : -1e9f;
        float max = toggled ? 1 : (Hints & BoundedAbove) != 0 ? UpperBound * scale : 1e9f;
        bool log = (Hints & Logarithmic) != 0 && min > 0 && max > 0;
        float Between(float lowerShare) => log
            ? MathF.Exp(MathF.Log(min) * lowerShare + MathF.Log(max) * (1 - lowerShare))
            : min * lowerShare + max * (1 - lowerShare);
        float value = (Hints & DefaultMask) switch
        {
            0x40 => min,
            0x80 => Between(0.75f),
            0xC0 => Between(0.5f),
            0x100 => Between(0.25f),
            0x140 => max,
            0x200 => 0,
            0x240 => 1,
            0x280 => 100,
            0x2C0 => 440,
            _ => Math.Clamp(0, min, max),
        };
        if ((Hints & Integer) != 0) value = MathF.Round(value);
        value = Math.Clamp(value, min, max);
        return toggled
            ? PluginParameter.Choice(name, ["0", "1"], value >= 0.5f ? 1 : 0, Name)
            : new PluginParameter(name, min, max, value, "", Description: Name + ((Hints & Integer) != 0 ? " (integer)" : ""));
    }
}
