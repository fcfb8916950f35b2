using Mamba.Audio.Files;

namespace Mamba.Audio.Analysis;

/// <summary>
/// A spectrogram of a WAV file of any length in bounded memory: 1024-point frames (Hann window, hop
/// 512), magnitudes in dB full scale, and at most <c>columns</c> columns, each the mean power of the
/// frames it covers, so an hour-long render gives an image as readily as a second.
/// </summary>
public static class Spectrogram
{
    public const int FrameSize = 1024, Hop = 512;

    /// <summary>dB values [column, bin] (bin 0 = DC, FrameSize/2 bins up to Nyquist), the file's rate and its length in samples.</summary>
    public static (double[,] Decibels, int SampleRate, long Samples) Compute(string path, int columns = 1600)
    {
        using var file = WavSource.Open(path);
        int rate = file.Header.SampleRate;
        long samples = file.Header.FrameCount;
        long frames = Math.Max(1, (samples - FrameSize) / Hop + 1);
        int width = (int)Math.Clamp(frames, 1, columns);
        double framesPerColumn = frames / (double)width;
        var power = new double[width, FrameSize / 2];
        var counts = new int[width];
        var window = new double[FrameSize];
        for (int i = 0; i < FrameSize; i++) window[i] = 0.5 - 0.5 * Math.Cos(2 * Math.PI * i / (FrameSize - 1));

        var frame = new float[FrameSize];
        var hop = new float[Hop];
        var fft = new NAudio.Dsp.Complex[FrameSize];
        int filled = 0;
        long index = 0;
        int got;
        while ((got = file.Read(filled < FrameSize ? frame.AsSpan(filled) : hop)) > 0)
        {
            if (filled < FrameSize)
            {
                filled += got;
                if (filled < FrameSize) continue;
            }
            else
            {
                // slide by what was read (a whole hop, or the file's last part)
                Array.Copy(frame, got, frame, 0, FrameSize - got);
                Array.Copy(hop, 0, frame, FrameSize - got, got);
                if (got < Hop) break;
            }
            for (int i = 0; i < FrameSize; i++) fft[i] = new NAudio.Dsp.Complex { X = (float)(frame[i] * window[i]), Y = 0 };
            NAudio.Dsp.FastFourierTransform.FFT(true, 10, fft);
            int column = (int)Math.Min(width - 1, index / framesPerColumn);
            for (int b = 0; b < FrameSize / 2; b++) power[column, b] += (double)fft[b].X * fft[b].X + (double)fft[b].Y * fft[b].Y;
            counts[column]++;
            index++;
        }
        var db = new double[width, FrameSize / 2];
        // NAudio's forward FFT divides by N; a full-scale sine then has magnitude 0.25 in its bin (Hann gain 0.5, half in each of +-f).
        for (int c = 0; c < width; c++)
            for (int b = 0; b < FrameSize / 2; b++)
                db[c, b] = counts[c] == 0 ? -120 : Math.Max(-120, 10 * Math.Log10(power[c, b] / counts[c] / 0.0625 + 1e-30));
        return (db, rate, samples);
    }
}
