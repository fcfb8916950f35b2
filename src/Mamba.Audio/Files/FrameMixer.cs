using System.Buffers.Binary;

namespace Mamba.Audio.Files;

/// <summary>
/// Turns interleaved WAV frames into mono floats: each sample scaled to [-1, 1) the way the format
/// defines it, then the channels averaged. One generic loop per format, specialised by the JIT
/// through a struct decoder, so there is no per-sample branch or delegate call. Float formats can
/// hold values that are not audio; those are made safe per sample, before mixing (see <see cref="SampleCounts"/>).
/// </summary>
internal static class FrameMixer
{
    /// <summary>Frames of a block with a sample that was not finite (made 0) or beyond +-1 (clipped), and the first such frame.</summary>
    public readonly record struct SampleCounts(int NonFinite, int Clipped, int FirstFrame)
    {
        public bool Any => NonFinite + Clipped > 0;
    }

    /// <summary>Mixes <paramref name="frames"/> (whole frames of <paramref name="header"/>'s format) into <paramref name="mono"/>, one value per frame.</summary>
    public static SampleCounts MixToMono(ReadOnlySpan<byte> frames, WavHeader header, Span<float> mono)
    {
        int channels = header.Channels;
        return (header.Format, header.BitsPerSample) switch
        {
            (WavSampleFormat.Pcm, 8) => Mix<Pcm8>(frames, channels, mono),
            (WavSampleFormat.Pcm, 16) => Mix<Pcm16>(frames, channels, mono),
            (WavSampleFormat.Pcm, 24) => Mix<Pcm24>(frames, channels, mono),
            (WavSampleFormat.Pcm, 32) => Mix<Pcm32>(frames, channels, mono),
            (WavSampleFormat.IeeeFloat, 32) => Mix<Float32>(frames, channels, mono),
            (WavSampleFormat.IeeeFloat, 64) => Mix<Float64>(frames, channels, mono),
            _ => throw new InvalidOperationException($"{header.BitsPerSample}-bit {header.Format} passed header validation but has no decoder."),
        };
    }

    private static SampleCounts Mix<T>(ReadOnlySpan<byte> frames, int channels, Span<float> mono) where T : ISampleDecoder
    {
        int frameBytes = channels * T.Size;
        float scale = 1f / channels;
        int nonFinite = 0, clipped = 0, first = -1;
        for (int i = 0; i < mono.Length; i++)
        {
            var frame = frames.Slice(i * frameBytes, frameBytes);
            float sum = 0;
            bool bad = false, over = false;
            for (int c = 0; c < channels; c++)
            {
                float v = T.Decode(frame.Slice(c * T.Size, T.Size));
                if (T.IsFloat)   // a constant per decoder: the JIT drops this for PCM
                {
                    if (!float.IsFinite(v)) { v = 0; bad = true; }
                    else if (Math.Abs(v) > 1) { v = Math.Clamp(v, -1f, 1f); over = true; }
                }
                sum += v;
            }
            mono[i] = channels == 1 ? sum : sum * scale;
            if (T.IsFloat && (bad || over))
            {
                if (bad) nonFinite++; else clipped++;
                if (first < 0) first = i;
            }
        }
        return new SampleCounts(nonFinite, clipped, first);
    }

    private interface ISampleDecoder
    {
        static abstract int Size { get; }
        static abstract bool IsFloat { get; }
        static abstract float Decode(ReadOnlySpan<byte> sample);
    }

    // 8-bit WAV is unsigned with 128 as zero; integers are scaled by 2^(bits-1), so full scale
    // negative is exactly -1 and positive full scale is just under +1 (the usual convention).
    private readonly struct Pcm8 : ISampleDecoder
    {
        public static bool IsFloat => false;
        public static int Size => 1;
        public static float Decode(ReadOnlySpan<byte> s) => (s[0] - 128) * (1f / 128);
    }

    private readonly struct Pcm16 : ISampleDecoder
    {
        public static bool IsFloat => false;
        public static int Size => 2;
        public static float Decode(ReadOnlySpan<byte> s) => BinaryPrimitives.ReadInt16LittleEndian(s) * (1f / 32768);
    }

    private readonly struct Pcm24 : ISampleDecoder
    {
        public static bool IsFloat => false;
        public static int Size => 3;
        public static float Decode(ReadOnlySpan<byte> s) => (s[0] | s[1] << 8 | (sbyte)s[2] << 16) * (1f / 8388608);
    }

    private readonly struct Pcm32 : ISampleDecoder
    {
        public static bool IsFloat => false;
        public static int Size => 4;
        public static float Decode(ReadOnlySpan<byte> s) => BinaryPrimitives.ReadInt32LittleEndian(s) * (1f / 2147483648);
    }

    private readonly struct Float32 : ISampleDecoder
    {
        public static bool IsFloat => true;
        public static int Size => 4;
        public static float Decode(ReadOnlySpan<byte> s) => BinaryPrimitives.ReadSingleLittleEndian(s);
    }

    private readonly struct Float64 : ISampleDecoder
    {
        public static bool IsFloat => true;
        public static int Size => 8;
        public static float Decode(ReadOnlySpan<byte> s) => (float)BinaryPrimitives.ReadDoubleLittleEndian(s);
    }
}
