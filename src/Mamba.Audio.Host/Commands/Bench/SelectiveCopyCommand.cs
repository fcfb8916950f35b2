using System.ComponentModel;
using Mamba.Audio.Host.Terminal;
using Mamba.Training.Scan;
using Mamba.Training.Tasks;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Commands.Bench;

/// <summary>`mamba-audio bench selective-copy`: the Mamba paper's Selective Copying task.</summary>
public sealed class SelectiveCopyCommand : Command<SelectiveCopyCommand.Settings>
{
    public sealed class Settings : SyntheticTaskSettings
    {
        [CommandOption("--preset <NAME>")]
        [Description("quick (about a minute on 2 CPU cores), cpu (the BENCHMARKS.md setting, about 15 minutes on 2 cores) or paper (length 4096, 16 tokens, vocabulary 16, d_model 64 x 2; for a GPU). Explicit options override the preset; the learning rate warms up, then follows a cosine; checks are of token accuracy on 256 fresh sequences, none unless asked for.")]
        public string Preset { get; init; } = "quick";

        [CommandOption("--length <N>")][Description("Noisy region length (the paper: 4096).")] public int? Length { get; init; }
        [CommandOption("--tokens <N>")][Description("Data tokens to memorise (the paper: 16).")] public int? Tokens { get; init; }
        [CommandOption("--vocab <N>")][Description("Data vocabulary size (the paper: 16).")] public int? Vocabulary { get; init; }

        protected override string TaskName => "selective-copy";

        public override ValidationResult Validate()
        {
            if (base.Validate() is { Successful: false } shared) return shared;
            if (!Presets.ContainsKey(Preset)) return ValidationResult.Error($"--preset {Preset}: expected one of {string.Join(", ", Presets.Keys)}.");
            if (Length is < 1 or > 1_000_000) return ValidationResult.Error($"--length {Length}: must be in 1..1000000.");
            if (Tokens is < 1) return ValidationResult.Error($"--tokens {Tokens}: must be at least 1.");
            if (Vocabulary is < 2 or > 65536) return ValidationResult.Error($"--vocab {Vocabulary}: must be in 2..65536.");
            if (StopAt is not null && CheckEvery is null or 0) return ValidationResult.Error("--stop-at needs --check-every: accuracy is only known at a check.");
            return ValidationResult.Success();
        }

        public SelectiveCopySettings ToRunSettings()
        {
            var p = Presets[Preset];
            var task = new SelectiveCopyTask(Length ?? p.Task.Length, Tokens ?? p.Task.Tokens, Vocabulary ?? p.Task.Vocabulary).Validate();
            return p with
            {
                Task = task,
                Steps = Steps ?? p.Steps,
                Batch = Batch ?? p.Batch,
                DModel = DModel ?? p.DModel,
                NLayer = Layers ?? p.NLayer,
                LearningRate = LearningRate ?? p.LearningRate,
                WarmupSteps = Math.Min(p.WarmupSteps, Math.Max(1, (Steps ?? p.Steps) / 10)),
                Seed = Seed,
                CheckEvery = CheckEvery ?? p.CheckEvery,
                StopAtAccuracy = StopAt ?? p.StopAtAccuracy,
            };
        }
    }

    /// <summary>The named settings; "cpu" is the one BENCHMARKS.md records.</summary>
    public static readonly IReadOnlyDictionary<string, SelectiveCopySettings> Presets = new Dictionary<string, SelectiveCopySettings>
    {
        ["quick"] = new(new SelectiveCopyTask(64, 4, 8), DModel: 32, Steps: 2500, Batch: 32, LearningRate: 3e-3, WarmupSteps: 100),
        ["cpu"] = new(new SelectiveCopyTask(256, 16, 16), DModel: 64, Steps: 4000, Batch: 32, LearningRate: 2e-3, WarmupSteps: 200),
        ["paper"] = new(new SelectiveCopyTask(4096, 16, 16), DModel: 64, Steps: 40000, Batch: 64, LearningRate: 2e-3, WarmupSteps: 1000),
    };

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var run = settings.ToRunSettings();
        var device = Startup.ResolveDevice(settings.Device);
        var scan = SelectiveScans.Resolve(settings.Scan, device);
        AnsiConsole.MarkupLineInterpolated(
            $"[grey]task:[/] length {run.Task.Length}, {run.Task.Tokens} tokens, vocabulary {run.Task.Vocabulary}; [grey]model:[/] d_model {run.DModel} x {run.NLayer} layers; [grey]scan:[/] {scan.Name}; {run.Steps} steps of {run.Batch}; chance = {1.0 / run.Task.Vocabulary:P1}");

        var result = CtrlC.StopsTraining(cancellationToken, stop =>
            TrainWithProgress(run, device, scan, stop));

        var table = new Table().AddColumns("setting", "value");
        table.AddRow("task", $"length {run.Task.Length}, tokens {run.Task.Tokens}, vocabulary {run.Task.Vocabulary}");
        table.AddRow("model", $"Mamba d_model {run.DModel} x {run.NLayer} ({result.Parameters:N0} parameters)");
        table.AddRow("device / scan", Markup.Escape($"{result.Device} / {result.Scan}"));
        table.AddRow("steps x batch", $"{result.Settings.Steps} x {run.Batch}");
        table.AddRow("train time", $"{result.TrainTime.TotalMinutes:F1} min ({result.SequencesPerSecond:F1} sequences/s)");
        table.AddRow("final train loss", $"{result.FinalLoss:F4}");
        table.AddRow("[bold]token accuracy[/]", $"[bold]{result.TokenAccuracy:P2}[/] (chance {1.0 / run.Task.Vocabulary:P1}; paper, Mamba at length 4096: 99.8%)");
        table.AddRow("sequence accuracy", $"{result.SequenceAccuracy:P2}");
        AnsiConsole.Write(table);
        JsonReport.Write(settings.JsonPath, result);
        return 0;
    }

    private static SelectiveCopyResult TrainWithProgress(SelectiveCopySettings run, TorchSharp.torch.Device device, ISelectiveScan scan, CancellationToken cancel)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            // Logs and CI: one plain line per report instead of a redrawn bar.
            return SelectiveCopyBenchmark.Run(run, device, scan, p =>
                AnsiConsole.WriteLine(p.IsCheck
                    ? $"step {p.Step}/{p.Steps}  check: token accuracy {p.TrainAccuracy:P2} on {run.CheckSequences} fresh sequences after {p.Elapsed:hh\\:mm\\:ss} of training"
                    : $"step {p.Step}/{p.Steps}  loss {p.Loss:F4}  train acc {p.TrainAccuracy:P1}  {p.SequencesPerSecond:F1} seq/s  {p.Elapsed:hh\\:mm\\:ss}"), cancel);
        }
        SelectiveCopyResult? result = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var bar = ctx.AddTask("training", maxValue: run.Steps);
                result = SelectiveCopyBenchmark.Run(run, device, scan, p =>
                {
                    if (p.IsCheck) { AnsiConsole.MarkupLineInterpolated($"[grey]step {p.Step}: check, token accuracy[/] {p.TrainAccuracy:P2}"); return; }
                    bar.Value = p.Step;
                    bar.Description = $"step {p.Step}  loss {p.Loss:F3}  acc {p.TrainAccuracy:P0}  {p.SequencesPerSecond:F0} seq/s";
                }, cancel);
                bar.Value = run.Steps;
            });
        return result!;
    }
}
