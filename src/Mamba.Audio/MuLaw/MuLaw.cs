using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

// NOTE: the namespace is the root, not Mamba.Audio.MuLaw: a namespace named like the class would
// shadow it (MuLaw.Encode would not resolve inside Mamba.Audio).
namespace Mamba.Audio;

/// <summary>
/// The mu-law codec that turns waveforms into the model's 256 classes and back (mu = 255).
/// <para>
/// Encode: x is clamped to [-1, 1]; y = sign(x) * ln(1 + mu|x|) / ln(1 + mu);
/// q = floor((y + 1) / 2 * 255 + 0.5). Class q therefore covers y in [q/127.5 - 1 - 1/255,
/// q/127.5 - 1 + 1/255): silence (0.0) is class 128, +1 is 255, -1 is 0, and a tiny negative
/// value falls into 127 (the classes are half-open, so 0 sits at the bottom edge of 128).
/// </para>
/// <para>
/// Decode: the class centre y = q/255 * 2 - 1 expanded, x = sign(y) * ((1 + mu)^|y| - 1) / mu.
/// Class 128 decodes to +8.6e-5 (its centre), not to exactly 0: a DC offset of about -81 dB.
/// </para>
/// <para>
/// NaN encodes to class 128 (silence): a NaN in a corpus or a generated stream then costs one
/// silent sample instead of an undefined class. +-Infinity clamp to 255 and 0.
/// </para>
/// </summary>
public static class MuLaw
{
    /// <summary>The companding constant.</summary>
    public const int Mu = 255;

    /// <summary>The number of classes (8 bits).</summary>
    public const int Classes = 256;

    /// <summary>The class of silence (0.0), and of NaN; unconditional generation starts here.</summary>
    public const byte Silence = 128;

    // 1 / ln(1 + mu) = 1 / ln 256.
    private static readonly double InverseLogOnePlusMu = 1.0 / Math.Log(1.0 + Mu);

    // Decoding is a table lookup: 256 floats, computed once by the reference formula.
    private static readonly float[] DecodeTable = BuildDecodeTable();

    /// <summary>Encodes one sample (the reference: plain double arithmetic, obviously right).</summary>
    public static byte Encode(float sample)
    {
        if (float.IsNaN(sample)) return Silence;
        double x = Math.Clamp((double)sample, -1.0, 1.0);
        double y = Math.CopySign(Math.Log(1.0 + Mu * Math.Abs(x)) * InverseLogOnePlusMu, x);
        return (byte)Math.Floor((y + 1.0) * 127.5 + 0.5);
    }

    /// <summary>Decodes one class to the expanded centre of that class (the reference).</summary>
    public static float Decode(byte q)
    {
        double y = q / 255.0 * 2.0 - 1.0;
        return (float)Math.CopySign((Math.Pow(1.0 + Mu, Math.Abs(y)) - 1.0) / Mu, y);
    }

    /// <summary>
    /// Encodes <paramref name="samples"/> into <paramref name="classes"/> (same length), with
    /// Vector256 where the hardware has it. Gives the same byte as <see cref="Encode(float)"/> for
    /// every input: the vector path also computes in double, so the two can only differ where the
    /// vector and scalar logarithms (both within an ulp) straddle a class boundary, which needs an
    /// input within ~1e-13 of it; no float lies that close (the test sweeps 2,000 floats on either
    /// side of every boundary).
    /// </summary>
    public static void Encode(ReadOnlySpan<float> samples, Span<byte> classes)
    {
        if (classes.Length != samples.Length)
            throw new ArgumentException($"classes has length {classes.Length}, samples {samples.Length}: they must match.", nameof(classes));
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= samples.Length - 8; i += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Create(samples.Slice(i, 8)));
                var q = Vector256.Narrow(EncodeLanes(lo), EncodeLanes(hi));                  // 8 x uint
                var q16 = Vector128.Narrow(q.GetLower(), q.GetUpper());                        // 8 x ushort
                var q8 = Vector128.Narrow(q16, q16);                                           // 16 x byte, low 8 used
                BinaryPrimitives.WriteUInt64LittleEndian(classes.Slice(i, 8), q8.AsUInt64().ToScalar());
            }
        }
        for (; i < samples.Length; i++) classes[i] = Encode(samples[i]);
    }

    /// <summary>Decodes <paramref name="classes"/> into <paramref name="samples"/> (same length) by table lookup.</summary>
    public static void Decode(ReadOnlySpan<byte> classes, Span<float> samples)
    {
        if (classes.Length != samples.Length)
            throw new ArgumentException($"samples has length {samples.Length}, classes {classes.Length}: they must match.", nameof(samples));
        // A 256-entry table stays in L1; a gather would not be faster for bytes.
        ref float table = ref MemoryMarshal.GetArrayDataReference(DecodeTable);
        for (int i = 0; i < classes.Length; i++) samples[i] = Unsafe.Add(ref table, classes[i]);
    }

    /// <summary>The encode formula on four lanes; returns each class in the low bits of a ulong.</summary>
    private static Vector256<ulong> EncodeLanes(Vector256<double> x)
    {
        x = Vector256.ConditionalSelect(Vector256.Equals(x, x), x, Vector256<double>.Zero);   // NaN -> 0 -> class 128
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(-1.0)), Vector256.Create(1.0));
        var magnitude = Vector256.Log(Vector256<double>.One + Vector256.Create((double)Mu) * Vector256.Abs(x))
                        * Vector256.Create(InverseLogOnePlusMu);
        var y = Vector256.CopySign(magnitude, x);
        var q = Vector256.Floor((y + Vector256<double>.One) * Vector256.Create(127.5) + Vector256.Create(0.5));
        // q is a whole number in [0, 255]: adding 2^52 puts it in the low mantissa bits, which is a
        // conversion to integer that needs no AVX-512.
        return (q + Vector256.Create(4503599627370496.0)).AsUInt64() & Vector256.Create(0xFFUL);
    }

    private static float[] BuildDecodeTable()
    {
        var table = new float[Classes];
        for (int q = 0; q < Classes; q++) table[q] = Decode((byte)q);
        return table;
    }
}
