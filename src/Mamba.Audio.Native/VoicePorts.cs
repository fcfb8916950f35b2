namespace Mamba.Audio.Native;

/// <summary>One port of the plugin, as LADSPA and LV2 both declare it.</summary>
public sealed record VoicePort(int Index, string Symbol, string Name, bool IsAudio, bool IsInput, float Min = 0, float Max = 0, float Default = 0,
    bool Integer = false, string[]? Choices = null);

/// <summary>
/// The ports of the Mamba generator plugin, in index order; LADSPA's descriptor, LV2's Turtle and the
/// voice all read this one table. One audio input (plain LADSPA hosts refuse a plugin without one) and
/// one output; the controls; and an output reporting the latency, as both formats expect it.
/// </summary>
public static class VoicePorts
{
    public const int Input = 0, Output = 1, Temperature = 2, TopP = 3, Seed = 4, GainDb = 5, Mode = 6, Latency = 7;

    /// <summary>LV2 only, after <see cref="All"/>: the atom input that carries patch:Set of the checkpoint parameter (LADSPA has no such port).</summary>
    public const int Lv2Control = 8;

    /// <summary>What the input does: ignored, mixed under the model, or listened to and continued when it falls silent.</summary>
    public const int ModeIgnore = 0, ModeMix = 1, ModeContinue = 2;

    public static readonly IReadOnlyList<VoicePort> All =
    [
        new(Input, "in", "Input", IsAudio: true, IsInput: true),
        new(Output, "out", "Output", IsAudio: true, IsInput: false),
        new(Temperature, "temperature", "Temperature", false, true, 0, 2, 1),
        new(TopP, "top_p", "Top-p", false, true, 0.01f, 1, 1),
        new(Seed, "seed", "Seed", false, true, 0, 16777215, 1, Integer: true),
        new(GainDb, "gain_db", "Output gain (dB)", false, true, -60, 12, 0),
        new(Mode, "mode", "Input mode (0 ignore, 1 mix, 2 continue)", false, true, 0, 2, 0, Integer: true, Choices: ["ignore", "mix", "continue"]),
        new(Latency, "latency", "latency", false, false, 0, 1 << 20, 0, Integer: true),
    ];
}
