using System.Buffers.Binary;
using Mamba.Audio.Files;

namespace Mamba.Audio.Tests.Support;

/// <summary>
/// The test's own encoder for WAV sample formats (independent of the reader under test): turns
/// floats into the bytes of a given format and says what they should read back as.
/// </summary>
public static class SampleCodec
{
    /// <summary>Encodes <paramref name="samples"/> (interleaved) and returns the bytes and the values a correct reader decodes.</summary>
    public static (byte[] Bytes, float[] Decoded) Encode(float[] samples, WavSampleFormat format, int bits)
    {
        var bytes = new byte[samples.Length * bits / 8];
        var decoded = new float[samples.Length];
        for (int i = 0; i < samples.Length; i++)
        {
            var at = bytes.AsSpan(i * bits / 8);
            double x = samples[i];
            switch (format, bits)
            {
                case (WavSampleFormat.Pcm, 8):
                    int b = (int)Math.Round(x * 128) + 128; at[0] = (byte)b; decoded[i] = (b - 128) / 128f; break;
                case (WavSampleFormat.Pcm, 16):
                    short s = (short)Math.Round(x * 32768); BinaryPrimitives.WriteInt16LittleEndian(at, s); decoded[i] = s / 32768f; break;
                case (WavSampleFormat.Pcm, 24):
                    int t = (int)Math.Round(x * 8388608); at[0] = (byte)t; at[1] = (byte)(t >> 8); at[2] = (byte)(t >> 16); decoded[i] = t / 8388608f; break;
                case (WavSampleFormat.Pcm, 32):
                    int u = (int)Math.Round(x * 2147483648.0); BinaryPrimitives.WriteInt32LittleEndian(at, u); decoded[i] = (float)(u / 2147483648.0); break;
                case (WavSampleFormat.IeeeFloat, 32):
                    BinaryPrimitives.WriteSingleLittleEndian(at, (float)x); decoded[i] = (float)x; break;
                case (WavSampleFormat.IeeeFloat, 64):
                    BinaryPrimitives.WriteDoubleLittleEndian(at, x); decoded[i] = (float)x; break;
                default: throw new ArgumentException($"{bits}-bit {format}");
            }
        }
        return (bytes, decoded);
    }

    /// <summary>Averages interleaved frames of <paramref name="channels"/> into mono (in double, the exact value).</summary>
    public static double[] MixToMono(float[] interleaved, int channels)
    {
        var mono = new double[interleaved.Length / channels];
        for (int i = 0; i < mono.Length; i++)
        {
            double sum = 0;
            for (int c = 0; c < channels; c++) sum += interleaved[i * channels + c];
            mono[i] = sum / channels;
        }
        return mono;
    }

    /// <summary>Random samples in [-0.95, 0.95].</summary>
    public static float[] Random(int count, int seed)
    {
        var random = new Random(seed);
        var samples = new float[count];
        for (int i = 0; i < count; i++) samples[i] = (float)(random.NextDouble() * 1.9 - 0.95);
        return samples;
    }
}
