using Mamba.Audio.Files;

namespace Mamba.Audio;

/// <summary>Opens audio files the way the model consumes them: mono, at one sample rate, streamed.</summary>
public static class AudioInput
{
    /// <summary>The model's default sample rate (SC09 and the project's corpora are 16 kHz).</summary>
    public const int DefaultSampleRate = 16000;

    /// <summary>
    /// Opens a WAV file as a stream of mono samples at <paramref name="targetRate"/>: the header is
    /// checked (<see cref="AudioFileException"/> if the file cannot be read), channels are averaged,
    /// and the rate is converted by <see cref="Resampling.MonoResampler"/>. Nothing is read whole
    /// into memory.
    /// </summary>
    public static AudioInputStream OpenMono(string path, int targetRate = DefaultSampleRate, WavReadOptions? options = null)
    {
        if (targetRate <= 0 || targetRate > WavHeader.MaxSampleRate)
            throw new ArgumentOutOfRangeException(nameof(targetRate), targetRate, $"target rate must be 1..{WavHeader.MaxSampleRate:N0} Hz.");
        var file = WavSource.Open(path, options);
        return new AudioInputStream(file, targetRate);
    }
}
