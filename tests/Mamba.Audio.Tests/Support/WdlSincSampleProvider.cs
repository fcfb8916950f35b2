using NAudio.Dsp;
using NAudio.Wave;

namespace Mamba.Audio.Tests.Support;

/// <summary>NAudio's WDL resampler switched to its windowed-sinc mode (the stock provider uses linear interpolation and IIR filters): a candidate in the comparison.</summary>
public sealed class WdlSincSampleProvider : ISampleProvider
{
    private readonly WdlResampler resampler = new();
    private readonly ISampleProvider source;

    public WdlSincSampleProvider(ISampleProvider source, int newSampleRate, int sincSize = 64, int sincInterpSize = 32)
    {
        this.source = source;
        WaveFormat = WaveFormat.CreateIeeeFloatWaveFormat(newSampleRate, 1);
        resampler.SetMode(true, 0, true, sincSize, sincInterpSize);
        resampler.SetFeedMode(false);
        resampler.SetRates(source.WaveFormat.SampleRate, newSampleRate);
    }

    public WaveFormat WaveFormat { get; }

    public int Read(Span<float> buffer)
    {
        int inNeeded = resampler.ResamplePrepare(buffer.Length, 1, out Span<float> inBuffer);
        int inAvailable = source.Read(inBuffer[..inNeeded]);
        return resampler.ResampleOut(buffer, inAvailable, buffer.Length, 1);
    }
}
