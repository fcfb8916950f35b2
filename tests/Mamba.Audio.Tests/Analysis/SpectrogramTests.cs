using Mamba.Audio.Analysis;
using Mamba.Audio.Files;

namespace Mamba.Audio.Tests.Analysis;

public class SpectrogramTests : IDisposable
{
    private readonly TempFolder folder = new();

    [Fact]
    public void ATone_PeaksInItsBin_AtItsLevel_AndLongFilesGiveBoundedColumns()
    {
        const int rate = 16000;
        var path = folder.File("tone.wav");
        using (var writer = new Pcm16WavWriter(path, rate))
            writer.Write(Enumerable.Range(0, 30 * rate).Select(i => 0.5f * MathF.Sin(2 * MathF.PI * 1000 * i / rate)).ToArray());
        var (db, sampleRate, samples) = Spectrogram.Compute(path, columns: 100);
        Assert.Equal(rate, sampleRate);
        Assert.Equal(30 * rate, samples);
        Assert.Equal(100, db.GetLength(0));
        Assert.Equal(Spectrogram.FrameSize / 2, db.GetLength(1));
        int bin = 1000 * Spectrogram.FrameSize / rate;   // 64: the tone sits on a bin centre
        for (int c = 0; c < 100; c++)
        {
            int peak = Enumerable.Range(0, db.GetLength(1)).MaxBy(b => db[c, b]);
            Assert.Equal(bin, peak);
            Assert.InRange(db[c, bin], -6.3, -5.8);      // 0.5 of full scale is -6.02 dB
            Assert.True(db[c, 200] < -60, $"column {c}: {db[c, 200]:F1} dB far from the tone");
        }
    }

    public void Dispose() => folder.Dispose();
}
