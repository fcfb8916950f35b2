namespace Mamba.Audio.Files;

/// <summary>How a WAV file stores each sample (after WAVE_FORMAT_EXTENSIBLE is unwrapped).</summary>
public enum WavSampleFormat
{
    /// <summary>Integer PCM: 8-bit unsigned, 16, 24 or 32-bit signed little-endian.</summary>
    Pcm = 1,

    /// <summary>IEEE float, 32 or 64-bit little-endian.</summary>
    IeeeFloat = 3,
}
