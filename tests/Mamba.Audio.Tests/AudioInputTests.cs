using Mamba.Audio.Files;
using Mamba.Audio.Tests.Support;

namespace Mamba.Audio.Tests;

public class AudioInputTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder folder = new();

    [Fact]
    public void OpenMono_GivesA16kHzMonoStream_FromA44kHzStereo24BitFile()
    {
        // 1 kHz in the left channel, 12 kHz in the right: the mix must keep 1 kHz and drop 12 kHz.
        const int rate = 44100, frames = rate * 2;
        var left = new ToneSource(rate, frames, (1000, 0.8)).ToArray();
        var right = new ToneSource(rate, frames, (12000, 0.8)).ToArray();
        var interleaved = new float[frames * 2];
        for (int i = 0; i < frames; i++) (interleaved[2 * i], interleaved[2 * i + 1]) = (left[i], right[i]);
        var (bytes, _) = SampleCodec.Encode(interleaved, WavSampleFormat.Pcm, 24);
        string path = new WavBuilder { Channels = 2, SampleRate = rate, BitsPerSample = 24, Data = bytes }.WriteTo(folder, "stereo.wav");

        using var input = AudioInput.OpenMono(path);
        Assert.Equal(16000, input.WaveFormat.SampleRate);
        Assert.Equal(1, input.WaveFormat.Channels);
        Assert.Equal(2, input.File.Header.Channels);
        var samples = Spectrum.ReadAll(input, 512);
        var m = Spectrum.Measure(samples, 16000, 4000);
        output.WriteLine($"{samples.Length} samples: {m}");
        Assert.InRange(samples.Length, 32000 - 2, 32000 + 2);
        Assert.InRange(m.PeakHz, 1000 - m.BinHz, 1000 + m.BinHz);
        Assert.InRange(m.PeakDb, 20 * Math.Log10(0.4) - 0.1, 20 * Math.Log10(0.4) + 0.1);
        Assert.True(m.SpurDb < -60, m.ToString());
    }

    [Fact]
    public void OpenMono_ReportsBrokenFiles_AsAudioFileException()
    {
        string path = new WavBuilder { FormatTag = 2, BitsPerSample = 4, BlockAlign = 256 }.WriteTo(folder, "adpcm.wav");
        var e = Assert.Throws<AudioFileException>(() => AudioInput.OpenMono(path));
        Assert.Contains("format tag 0x0002", e.Message);
    }

    public void Dispose() => folder.Dispose();
}
