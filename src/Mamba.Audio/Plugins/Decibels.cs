namespace Mamba.Audio.Plugins;

/// <summary>Level conversions; -120 dB and below is silence.</summary>
public static class Decibels
{
    public static float ToGain(float db) => db <= -120 ? 0 : MathF.Pow(10, db / 20);
}
