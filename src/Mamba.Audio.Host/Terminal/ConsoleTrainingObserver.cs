using Mamba.Training.Runs;
using Spectre.Console;

namespace Mamba.Audio.Host.Terminal;

/// <summary>
/// Prints a run's progress as plain lines (step, loss, validation bits/sample, samples/s, ETA):
/// readable live in a terminal and in a log file alike, which matters for overnight runs.
/// </summary>
public sealed class ConsoleTrainingObserver : ITrainingObserver
{
    private double lastValidation = double.NaN;

    public void Started(TrainingStart s)
    {
        AnsiConsole.MarkupLineInterpolated($"[grey]model:[/] {s.Model} ({s.Parameters:N0} parameters) on {s.Device}");
        AnsiConsole.MarkupLineInterpolated(
            $"[grey]corpus:[/] {s.TrainSamples / (double)s.SampleRate / 3600:F2} h train, {s.ValidationSamples / (double)s.SampleRate / 3600:F2} h validation (at {s.SampleRate} Hz); unigram entropy {s.UnigramEntropyBits:F3} bits/sample (the trivial baseline)");
        AnsiConsole.MarkupLineInterpolated($"[grey]{(s.Resumed ? "resuming at" : "starting at")}[/] step {s.FirstStep} of {s.Steps}");
    }

    public void Stepped(StepReport r) => AnsiConsole.MarkupLine(Markup.Escape(StepLine(r, lastValidation)));

    /// <summary>One progress line; "val" appears only once a validation exists (never "val NaN").</summary>
    public static string StepLine(StepReport r, double lastValidation) =>
        $"step {r.Step,7}/{r.Steps}  loss {r.LossBits:F4} bits  " + (double.IsNaN(lastValidation) ? "" : $"val {lastValidation:F4}  ") +
        $"lr {r.LearningRate:E2}  {r.SamplesPerSecond,9:N0} samples/s  elapsed {Duration(r.Elapsed)}  ETA {(r.Remaining is { } left ? Duration(left) : "unknown")}";

    /// <summary>hh:mm:ss, with days in front past a day ("3d 04:05:06"); a saturated ETA says so instead of wrapping.</summary>
    public static string Duration(TimeSpan t) =>
        t >= TimeSpan.FromDays(100_000) ? "more than 100,000 days"
        : t.TotalDays >= 1 ? $"{(long)t.TotalDays}d {t:hh\\:mm\\:ss}" : $"{t:hh\\:mm\\:ss}";

    public void Validated(ValidationReport r)
    {
        lastValidation = r.BitsPerSample;
        AnsiConsole.MarkupLineInterpolated($"[blue]validation[/] step {r.Step}: {r.BitsPerSample:F4} bits/sample{(r.IsBest ? " (best)" : "")}");
    }

    public void Checkpointed(long step, string directory) =>
        AnsiConsole.MarkupLineInterpolated($"[green]checkpoint[/] step {step}: {directory}");

    public void Message(string text) => AnsiConsole.MarkupLineInterpolated($"[yellow]{text}[/]");
}
