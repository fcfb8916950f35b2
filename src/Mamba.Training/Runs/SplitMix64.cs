namespace Mamba.Training.Runs;

/// <summary>
/// SplitMix64 (Steele, Lea, Flood 2014) as a pure function of (seed, stream, index): the data
/// order of training is a function of the step alone, so a resumed run draws exactly the crops
/// the uninterrupted run would have, with no generator state to save.
/// </summary>
public static class SplitMix64
{
    public static ulong Hash(ulong seed, ulong stream, ulong index)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL * (index + 1) + 0xD1B54A32D192ED03UL * (stream + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, bound) (bound &gt; 0), by 128-bit multiply (bias below 2^-64 x bound).</summary>
    public static long Below(ulong hash, long bound) => (long)Math.BigMul(hash, (ulong)bound, out _);
}
