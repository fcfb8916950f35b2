using NAudio.Wave;
using NWaves.Transforms;

namespace Mamba.Audio.Tests.Support;

/// <summary>What a resampled tone looks like: where its peak is and how far everything else is below it.</summary>
/// <param name="PeakHz">Frequency of the strongest bin.</param>
/// <param name="BinHz">Width of one bin.</param>
/// <param name="PeakDb">Level of the strongest bin, dB relative to a full-scale sine of amplitude 1.</param>
/// <param name="SpurDb">Strongest bin outside the peak's main lobe, dB relative to the peak (aliases, images, noise).</param>
/// <param name="SpurHz">Where that spur is.</param>
public sealed record ToneMeasurement(double PeakHz, double BinHz, double PeakDb, double SpurDb, double SpurHz)
{
    public override string ToString() => $"peak {PeakHz:F1} Hz (bin {BinHz:F2} Hz) at {PeakDb:F2} dBFS, worst spur {SpurDb:F1} dB at {SpurHz:F0} Hz";
}

/// <summary>The measurement: a 4-term Blackman-Harris window (side lobes at -92 dB) and an FFT.</summary>
public static class Spectrum
{
    public const int Size = 16384;

    /// <summary>Measures <paramref name="samples"/>[skip .. skip + Size] taken at <paramref name="sampleRate"/>.</summary>
    public static ToneMeasurement Measure(float[] samples, int sampleRate, int skip)
    {
        if (samples.Length < skip + Size) throw new ArgumentException($"need {skip + Size} samples, got {samples.Length}");
        var frame = new float[Size];
        double windowSum = 0;
        for (int i = 0; i < Size; i++)
        {
            double t = 2 * Math.PI * i / (Size - 1);
            double w = 0.35875 - 0.48829 * Math.Cos(t) + 0.14128 * Math.Cos(2 * t) - 0.01168 * Math.Cos(3 * t);
            frame[i] = (float)(samples[skip + i] * w);
            windowSum += w;
        }
        var re = new float[Size];
        var im = new float[Size];
        new RealFft(Size).Direct(frame, re, im);
        int bins = Size / 2 + 1;
        var db = new double[bins];
        for (int k = 0; k < bins; k++)
            db[k] = 10 * Math.Log10(((double)re[k] * re[k] + (double)im[k] * im[k]) / (windowSum * windowSum / 4) + 1e-30);
        int peak = 0;
        for (int k = 1; k < bins; k++) if (db[k] > db[peak]) peak = k;
        int spur = -1;
        for (int k = 0; k < bins; k++)
            if (Math.Abs(k - peak) > 8 && (spur < 0 || db[k] > db[spur])) spur = k;
        double binHz = (double)sampleRate / Size;
        return new ToneMeasurement(peak * binHz, binHz, db[peak], db[spur] - db[peak], spur * binHz);
    }

    /// <summary>Pulls a provider to the end in blocks of <paramref name="block"/>.</summary>
    public static float[] ReadAll(ISampleProvider source, int block = 1000)
    {
        var all = new List<float>();
        var buffer = new float[block];
        int n;
        while ((n = source.Read(buffer)) > 0) all.AddRange(buffer.AsSpan(0, n));
        return all.ToArray();
    }
}
