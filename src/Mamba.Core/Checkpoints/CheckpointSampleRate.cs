using System.Text.Json.Nodes;

namespace Mamba.Core.Checkpoints;

/// <summary>
/// The sample rate travels with the model: a checkpoint trained on 8 kHz audio must render 8 kHz
/// audio, not 16 kHz at double speed. It is stored in this project's extras of config.json
/// (<see cref="MambaConfigJson.ExtrasKey"/>."sample_rate"), outside mamba_ssm's fields, so
/// mamba_ssm ignores it; a checkpoint without it (mamba_ssm's own, or older ones) is 16 kHz.
/// </summary>
public static class CheckpointSampleRate
{
    public const string Key = "sample_rate";

    /// <summary>The rate of a checkpoint that does not say: the rate every corpus here defaulted to.</summary>
    public const int Default = 16_000;

    public const int Min = 1_000, Max = 384_000;

    /// <summary>The rate stored in <paramref name="extras"/>, or <see cref="Default"/> when none is stored.</summary>
    /// <exception cref="CheckpointException">The stored value is not an integer in [<see cref="Min"/>, <see cref="Max"/>].</exception>
    public static int Read(JsonObject? extras, string source)
    {
        var node = extras?[Key];
        if (node is null) return Default;
        if (node is JsonValue value && value.TryGetValue<int>(out int rate) && rate is >= Min and <= Max) return rate;
        throw new CheckpointException($"{source}: \"{MambaConfigJson.ExtrasKey}\".\"{Key}\" is {node.ToJsonString()}, not a sample rate in Hz ({Min}..{Max}).");
    }

    /// <summary>A copy of <paramref name="extras"/> (or a new object) with the rate set.</summary>
    public static JsonObject With(JsonObject? extras, int sampleRate)
    {
        if (sampleRate is < Min or > Max)
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, $"a sample rate must be in {Min}..{Max} Hz.");
        var copy = extras?.DeepClone().AsObject() ?? new JsonObject();
        copy[Key] = sampleRate;
        return copy;
    }
}
