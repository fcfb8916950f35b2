using Mamba.Core.Model;
using Mamba.Core.Sampling;

namespace Mamba.Core.Engines;

/// <summary>
/// The layout of a stream snapshot (a plain float[], the same for every engine):
/// <code>
/// [0]            format version (1)
/// [1]            pending sample (0..v-1)
/// [2..6)         RNG state       (ulong as four 16-bit pieces, low first: exact in float)
/// [6..10)        RNG increment   (ulong, same)
/// [10..14)       log-likelihood  (double's bits, same)
/// [14..18)       sample count    (long, same)
/// [18..)         conv state  (layers, d_in, k), oldest input first
/// then           ssm state   (layers, d_in, n)
/// </code>
/// </summary>
public static class StreamSnapshot
{
    public const int Version = 1;
    public const int HeaderLength = 18;

    public static int Length(MambaConfig c) => HeaderLength + c.NLayer * c.DInner * (c.DConv + c.DState);

    /// <summary>Offset of the conv states ((layers, d_in, k)).</summary>
    public static int ConvOffset(MambaConfig c) => HeaderLength;

    /// <summary>Offset of the ssm states ((layers, d_in, n)).</summary>
    public static int SsmOffset(MambaConfig c) => HeaderLength + c.NLayer * c.DInner * c.DConv;

    /// <summary>Writes the header fields.</summary>
    public static void WriteHeader(Span<float> s, byte pending, Pcg32 rng, double logLikelihood, long samples)
    {
        s[0] = Version;
        s[1] = pending;
        Pack(rng.State, s[2..6]);
        Pack(rng.Increment, s[6..10]);
        Pack((ulong)BitConverter.DoubleToInt64Bits(logLikelihood), s[10..14]);
        Pack((ulong)samples, s[14..18]);
    }

    /// <summary>Reads and checks the header; throws <see cref="ArgumentException"/> on a wrong length or version.</summary>
    public static void ReadHeader(ReadOnlySpan<float> s, MambaConfig config, int vocab,
        out byte pending, out Pcg32 rng, out double logLikelihood, out long samples)
    {
        if (s.Length != Length(config))
            throw new ArgumentException($"snapshot has {s.Length} floats; this model's have {Length(config)}.", nameof(s));
        if (s[0] != Version) throw new ArgumentException($"snapshot version {s[0]}; expected {Version}.", nameof(s));
        float token = s[1];
        if (!(token >= 0 && token < vocab && token == MathF.Floor(token)) || token > 255)
            throw new ArgumentException($"snapshot's pending sample {token} is not a class.", nameof(s));
        pending = (byte)token;
        rng = Pcg32.FromRaw(Unpack(s[2..6]), Unpack(s[6..10]));
        logLikelihood = BitConverter.Int64BitsToDouble((long)Unpack(s[10..14]));
        samples = (long)Unpack(s[14..18]);
    }

    private static void Pack(ulong value, Span<float> four)
    {
        for (int i = 0; i < 4; i++) four[i] = (ushort)(value >> (16 * i));
    }

    private static ulong Unpack(ReadOnlySpan<float> four)
    {
        ulong value = 0;
        for (int i = 0; i < 4; i++)
        {
            float f = four[i];
            if (!(f >= 0 && f <= 65535 && f == MathF.Floor(f))) throw new ArgumentException($"snapshot header piece {f} is not a 16-bit integer.");
            value |= (ulong)(ushort)f << (16 * i);
        }
        return value;
    }

    /// <summary>
    /// Copies one slot's recurrent state from the engines' padded layout (per layer: the conv window
    /// (k, dInP), then h (n, dInP)) into a snapshot's state part.
    /// </summary>
    public static void FromPadded(MambaConfig c, int dInP, ReadOnlySpan<float> slotState, Span<float> snapshot)
    {
        int k = c.DConv, n = c.DState, dIn = c.DInner, layerStride = (k + n) * dInP, convAt = ConvOffset(c), ssmAt = SsmOffset(c);
        for (int l = 0; l < c.NLayer; l++)
        {
            int at = l * layerStride;
            for (int ch = 0; ch < dIn; ch++)
            {
                for (int j = 0; j < k; j++) snapshot[convAt + (l * dIn + ch) * k + j] = slotState[at + j * dInP + ch];
                for (int j = 0; j < n; j++) snapshot[ssmAt + (l * dIn + ch) * n + j] = slotState[at + (k + j) * dInP + ch];
            }
        }
    }

    /// <summary>The inverse of <see cref="FromPadded"/>: a snapshot's state into the padded layout (padding channels zeroed).</summary>
    public static void ToPadded(MambaConfig c, int dInP, ReadOnlySpan<float> snapshot, Span<float> slotState)
    {
        int k = c.DConv, n = c.DState, dIn = c.DInner, layerStride = (k + n) * dInP, convAt = ConvOffset(c), ssmAt = SsmOffset(c);
        slotState.Clear();
        for (int l = 0; l < c.NLayer; l++)
        {
            int at = l * layerStride;
            for (int ch = 0; ch < dIn; ch++)
            {
                for (int j = 0; j < k; j++) slotState[at + j * dInP + ch] = snapshot[convAt + (l * dIn + ch) * k + j];
                for (int j = 0; j < n; j++) slotState[at + (k + j) * dInP + ch] = snapshot[ssmAt + (l * dIn + ch) * n + j];
            }
        }
    }
}
