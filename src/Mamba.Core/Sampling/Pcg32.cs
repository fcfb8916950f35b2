using System.Runtime.CompilerServices;

namespace Mamba.Core.Sampling;

/// <summary>
/// PCG32 (O'Neill, pcg-random.org: the XSH-RR output of a 64-bit LCG, "pcg32_random_r" of the
/// minimal C library), fully specified here so a seed gives the same numbers on every .NET version
/// and machine (System.Random's algorithm is not guaranteed). A mutable struct: keep it in a field
/// or pass it by ref.
/// </summary>
public struct Pcg32
{
    private const ulong Multiplier = 6364136223846793005UL;
    /// <summary>The stream selector used for every seed (pcg32's default increment's sequence).</summary>
    public const ulong DefaultSequence = 0xda3e39cb94b95bdbUL;

    /// <summary>The LCG state.</summary>
    public ulong State;
    /// <summary>The LCG increment (always odd); selects one of 2^63 streams.</summary>
    public ulong Increment;

    /// <summary>pcg32_srandom_r(seed, sequence).</summary>
    public Pcg32(ulong seed, ulong sequence = DefaultSequence)
    {
        State = 0;
        Increment = (sequence << 1) | 1;
        NextUInt();
        State += seed;
        NextUInt();
    }

    /// <summary>Restores a generator from <see cref="State"/> and <see cref="Increment"/>.</summary>
    public static Pcg32 FromRaw(ulong state, ulong increment) => new() { State = state, Increment = increment | 1 };

    /// <summary>The next 32 uniformly distributed bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint NextUInt()
    {
        ulong old = State;
        State = unchecked(old * Multiplier + Increment);
        uint xorShifted = (uint)(((old >> 18) ^ old) >> 27);
        int rot = (int)(old >> 59);
        return (xorShifted >> rot) | (xorShifted << (-rot & 31));
    }

    /// <summary>A float in [0, 1): the top 24 bits of <see cref="NextUInt"/> times 2^-24 (exact, every value equally likely).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float NextFloat() => (NextUInt() >> 8) * (1f / 16777216f);
}
