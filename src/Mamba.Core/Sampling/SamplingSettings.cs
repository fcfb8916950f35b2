namespace Mamba.Core.Sampling;

/// <summary>
/// How one stream picks its next sample from the model's logits.
/// </summary>
/// <param name="Temperature">Divides the logits before the softmax; 0 = greedy (argmax, lowest index on ties).</param>
/// <param name="TopP">Nucleus sampling: draw only from the most probable classes whose probabilities
/// (after temperature) first reach this total; in (0, 1], 1 = the full distribution, a tiny value = argmax.</param>
/// <param name="Seed">Seeds the stream's own <see cref="Pcg32"/>: the same seed on the same engine gives the same audio.</param>
public readonly record struct SamplingSettings(float Temperature = 1f, float TopP = 1f, ulong Seed = 0)
{
    /// <summary>Plain sampling from the model's distribution (temperature 1, top-p 1).</summary>
    public static SamplingSettings Default(ulong seed = 0) => new(1f, 1f, seed);

    /// <summary>Greedy decoding: always the most probable class.</summary>
    public static SamplingSettings Greedy => new(0f, 1f, 0);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the setting and its range.</summary>
    public SamplingSettings Validate()
    {
        if (!(Temperature >= 0f && Temperature <= 100f))
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "temperature must be in [0, 100] (0 = greedy).");
        if (!(TopP > 0f && TopP <= 1f))
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "top-p must be in (0, 1].");
        return this;
    }
}
