using System.Globalization;

namespace Mamba.Audio.Plugins.Lv2;

/// <summary>What an LV2 port carries: audio and control are what a mono chain connects; CV is audio-rate control; atom and event ports carry MIDI and messages.</summary>
public enum Lv2PortKind { Audio, Control, CV, Atom, Event, Other }

/// <summary>One port of an LV2 plugin as its Turtle description declares it (lv2:index, lv2:symbol, lv2:minimum/maximum/default and its properties).</summary>
public sealed record Lv2Port(int Index, string Symbol, string Name, Lv2PortKind Kind, bool IsInput, float Min, float Max, float Default,
    bool Integer, bool Toggled, bool ScalesWithRate, bool ConnectionOptional, IReadOnlyList<(string Label, float Value)> ScalePoints)
{
    /// <summary>The control as a chain parameter, named by its symbol; bounds scaled by the rate where lv2:sampleRate says so, absent bounds open, an absent default 0 (clamped).</summary>
    public PluginParameter ToParameter(int sampleRate)
    {
        float scale = ScalesWithRate ? sampleRate : 1;
        float min = Toggled ? 0 : float.IsFinite(Min) ? Min * scale : -1e9f;
        float max = Toggled ? 1 : float.IsFinite(Max) ? Max * scale : 1e9f;
        if (max < min) (min, max) = (max, min);
        float value = Math.Clamp(float.IsFinite(Default) ? Default * scale : 0, min, max);
        if (Integer) value = MathF.Round(value);
        var points = ScalePoints.Count == 0 ? "" : " (" + string.Join(", ", ScalePoints.Select(p => $"{p.Value.ToString(CultureInfo.InvariantCulture)}={p.Label}")) + ")";
        return Toggled
            ? PluginParameter.Choice(Symbol, ["0", "1"], value >= 0.5f ? 1 : 0, Name)
            : new PluginParameter(Symbol, min, max, value, "", Description: Name + (Integer ? " (integer)" : "") + points);
    }
}
