using Mamba.Audio.Files;
using Mamba.Audio.Resampling;
using NAudio.Wave;

namespace Mamba.Audio;

/// <summary>An audio file as mono samples at the rate the model wants; made by <see cref="AudioInput.OpenMono"/>.</summary>
public sealed class AudioInputStream : ISampleProvider, IDisposable
{
    private readonly MonoResampler resampler;

    internal AudioInputStream(WavSource file, int targetRate)
    {
        File = file;
        resampler = new MonoResampler(file, targetRate);
    }

    /// <summary>The file underneath: its header (source rate, channels, format) and any warnings.</summary>
    public WavSource File { get; }

    /// <summary>IEEE float, mono, at the target rate.</summary>
    public WaveFormat WaveFormat => resampler.WaveFormat;

    /// <summary>Reads up to <c>buffer.Length</c> samples; returns the count written, 0 at the end.</summary>
    public int Read(Span<float> buffer) => resampler.Read(buffer);

    /// <summary>Closes the file.</summary>
    public void Dispose() => File.Dispose();
}
