using Mamba.Audio.Files;
using Mamba.Audio.Tests.Support;

namespace Mamba.Audio.Tests.Corpora;

/// <summary>WAV files for corpus tests: tones and noise at several rates and channel counts, and every kind of broken file.</summary>
internal static class CorpusTestFiles
{
    /// <summary>A 16-bit PCM tone (or noise when <paramref name="noiseSeed"/> is set), interleaved over <paramref name="channels"/>.</summary>
    public static WavBuilder Tone(int rate, int channels, double seconds, double hz = 440, int? noiseSeed = null, int bits = 16, WavSampleFormat format = WavSampleFormat.Pcm)
    {
        int frames = (int)(rate * seconds);
        var samples = new float[frames * channels];
        var random = noiseSeed is { } s ? new Random(s) : null;
        for (int i = 0; i < frames; i++)
            for (int c = 0; c < channels; c++)
                samples[i * channels + c] = random is null
                    ? (float)(0.5 * Math.Sin(2 * Math.PI * hz * (1 + 0.1 * c) * i / rate))
                    : (float)(random.NextDouble() * 1.6 - 0.8);
        var (bytes, _) = SampleCodec.Encode(samples, format, bits);
        return new WavBuilder
        {
            FormatTag = (ushort)(format == WavSampleFormat.Pcm ? 1 : 3), Channels = (ushort)channels, SampleRate = (uint)rate,
            BitsPerSample = (ushort)bits, Data = bytes,
        };
    }

    /// <summary>16 kHz mono 16-bit PCM holding exactly <paramref name="samples"/>; returns the mu-law bytes a corpus must hold for it.</summary>
    public static (WavBuilder Wav, byte[] MuLawBytes) Exact(float[] samples)
    {
        var (bytes, decoded) = SampleCodec.Encode(samples, WavSampleFormat.Pcm, 16);
        var classes = new byte[decoded.Length];
        for (int i = 0; i < decoded.Length; i++) classes[i] = MuLaw.Encode(decoded[i]);
        return (new WavBuilder { Data = bytes }, classes);
    }

    public static string Write(string folder, string relativePath, WavBuilder wav) => Write(folder, relativePath, wav.Build());

    public static string Write(string folder, string relativePath, byte[] bytes)
    {
        string path = Path.Combine(folder, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Every file in <paramref name="directory"/> and its bytes, to compare a corpus before and after.</summary>
    public static Dictionary<string, byte[]> Snapshot(string directory) =>
        Directory.EnumerateFiles(directory).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
}
