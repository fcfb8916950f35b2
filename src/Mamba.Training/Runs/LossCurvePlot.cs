using System.Text.Json.Nodes;
using Mamba.Core.Checkpoints;

namespace Mamba.Training.Runs;

/// <summary>loss.png beside the checkpoints: training and validation bits/sample against step, with the unigram baseline.</summary>
public static class LossCurvePlot
{
    public static void Write(string path, IReadOnlyList<JsonObject> metrics, double unigramBits, string title)
    {
        var train = metrics.Where(m => m["loss_bits"] is not null).ToList();
        var validation = metrics.Where(m => m["val_bits"] is not null).ToList();
        if (train.Count == 0 && validation.Count == 0) return;

        var plot = new ScottPlot.Plot();
        if (train.Count > 0)
        {
            var line = plot.Add.Scatter(train.Select(m => (double)m["step"]!.GetValue<long>()).ToArray(),
                train.Select(m => m["loss_bits"]!.GetValue<double>()).ToArray());
            line.LegendText = "train";
            line.MarkerSize = 0;
        }
        if (validation.Count > 0)
        {
            var line = plot.Add.Scatter(validation.Select(m => (double)m["step"]!.GetValue<long>()).ToArray(),
                validation.Select(m => m["val_bits"]!.GetValue<double>()).ToArray());
            line.LegendText = "validation";
            line.LineWidth = 2;
        }
        if (double.IsFinite(unigramBits))
        {
            var baseline = plot.Add.HorizontalLine(unigramBits);
            baseline.LegendText = "unigram entropy";
            baseline.LinePattern = ScottPlot.LinePattern.Dashed;
        }
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel("bits per sample");
        plot.ShowLegend();
        var bytes = plot.GetImageBytes(900, 500, ScottPlot.ImageFormat.Png);
        StagedFile.WriteAtomically(path, stream => stream.Write(bytes));
    }
}
