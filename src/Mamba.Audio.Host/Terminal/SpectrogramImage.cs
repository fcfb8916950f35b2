using Mamba.Audio.Analysis;
using Mamba.Core.Checkpoints;

namespace Mamba.Audio.Host.Terminal;

/// <summary>--spectrogram: a PNG beside a WAV (NAME.spectrogram.png): time across, frequency up to Nyquist, dB full scale.</summary>
public static class SpectrogramImage
{
    public static string PathFor(string wav) => Path.ChangeExtension(Path.GetFullPath(wav), ".spectrogram.png");

    /// <summary>Refuses, before anything runs, to replace an existing PNG beside one of <paramref name="wavs"/> unless <paramref name="force"/>.</summary>
    public static void RefuseExisting(IEnumerable<string> wavs, bool force)
    {
        foreach (var png in wavs.Select(PathFor))
            if (!force && File.Exists(png)) throw new ArgumentException($"--spectrogram: {png} exists and is not overwritten; pass --force to replace it.");
    }

    /// <summary>Draws each WAV's spectrogram beside it (<see cref="PathFor"/>) and says where.</summary>
    public static void WriteBeside(IEnumerable<string> wavs)
    {
        foreach (var wav in wavs)
        {
            Write(wav, PathFor(wav));
            Spectre.Console.AnsiConsole.MarkupLineInterpolated($"[grey]spectrogram:[/] {PathFor(wav)}");
        }
    }

    /// <summary>Draws the spectrogram of <paramref name="wav"/> into <paramref name="png"/> (replaced atomically).</summary>
    public static void Write(string wav, string png)
    {
        var (db, rate, samples) = Spectrogram.Compute(wav);
        int columns = db.GetLength(0), bins = db.GetLength(1);
        // ScottPlot's heatmap draws row 0 at the top: rows are frequency bins, highest first.
        var image = new double[bins, columns];
        for (int c = 0; c < columns; c++)
            for (int b = 0; b < bins; b++) image[bins - 1 - b, c] = db[c, b];
        var plot = new ScottPlot.Plot();
        var heatmap = plot.Add.Heatmap(image);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        double seconds = samples / (double)rate;
        heatmap.Extent = new ScottPlot.CoordinateRect(0, seconds, 0, rate / 2.0);
        plot.Add.ColorBar(heatmap).Label = "dB full scale";
        plot.Title($"{Path.GetFileName(wav)}: {seconds:0.##} s at {rate} Hz");
        plot.XLabel("seconds");
        plot.YLabel("Hz");
        var bytes = plot.GetImageBytes(1200, 600, ScottPlot.ImageFormat.Png);
        StagedFile.WriteAtomically(png, stream => stream.Write(bytes));
    }
}
