namespace Mamba.Audio.Plugins;

/// <summary>
/// A parameter's value on the audio path: moves linearly to each new target over a fixed number of
/// samples, so a gain or a mix change never steps (a step of a full-scale signal is a click).
/// Struct, no allocation; owned by one audio thread.
/// </summary>
public struct SmoothedValue
{
    private float current, target, step;
    private int left;
    private readonly int rampSamples;

    public SmoothedValue(float initial, int rampSamples)
    {
        current = target = initial;
        this.rampSamples = Math.Max(1, rampSamples);
    }

    public readonly float Current => current;

    /// <summary>Starts a ramp when the target changed (call at the start of a block).</summary>
    public void SetTarget(float value)
    {
        if (value == target) return;
        target = value;
        left = rampSamples;
        step = (target - current) / rampSamples;
    }

    /// <summary>The value for the next sample.</summary>
    public float Next()
    {
        if (left == 0) return current;
        if (--left == 0) current = target;
        else current += step;
        return current;
    }
}
