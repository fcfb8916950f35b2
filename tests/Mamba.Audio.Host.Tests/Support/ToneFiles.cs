using Mamba.Audio.Files;

namespace Mamba.Audio.Host.Tests.Support;

/// <summary>Sine tones written as 16-bit WAV files: real audio for corpus tests.</summary>
public static class ToneFiles
{
    public static string Write(string path, int rate, double seconds, double hz = 440)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = new Pcm16WavWriter(path, rate);
        writer.Write(Enumerable.Range(0, (int)(rate * seconds)).Select(i => (float)(0.4 * Math.Sin(2 * Math.PI * hz * i / rate))).ToArray());
        return path;
    }
}
