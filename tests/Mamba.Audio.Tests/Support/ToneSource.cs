using NAudio.Wave;

namespace Mamba.Audio.Tests.Support;

/// <summary>A sum of sine tones at a given rate, as a mono sample provider of finite length.</summary>
public sealed class ToneSource(int sampleRate, long length, params (double Hz, double Amplitude)[] tones) : ISampleProvider
{
    private long position;

    public WaveFormat WaveFormat { get; } = WaveFormat.CreateIeeeFloatWaveFormat(sampleRate, 1);

    public int Read(Span<float> buffer)
    {
        int n = (int)Math.Min(buffer.Length, length - position);
        for (int i = 0; i < n; i++, position++)
        {
            double v = 0;
            foreach (var (hz, a) in tones) v += a * Math.Sin(2 * Math.PI * hz * position / sampleRate);
            buffer[i] = (float)v;
        }
        return n;
    }

    public float[] ToArray()
    {
        var all = new float[length - position];
        Read(all);
        return all;
    }
}
