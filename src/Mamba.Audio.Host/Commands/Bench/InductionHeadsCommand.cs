using System.ComponentModel;
using Mamba.Audio.Host.Terminal;
using Mamba.Training.Scan;
using Mamba.Training.Tasks;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Commands.Bench;

/// <summary>`mamba-audio bench induction-heads`: the Mamba paper's Induction Heads task, trained at one length and tested at longer ones.</summary>
public sealed class InductionHeadsCommand : Command<InductionHeadsCommand.Settings>
{
    public sealed class Settings : SyntheticTaskSettings
    {
        [CommandOption("--preset <NAME>")]
        [Description("quick (length 64, vocabulary 8; about a minute on 2 CPU cores, tested to 2^12), cpu (the paper's task, length 256 and vocabulary 16, tested to 2^14) or paper (the same task tested to 2^20; for a GPU). Explicit options override the preset; the paper trains d_model 64 x 2 layers in batches of 8 at 1e-3, constant after a short warm-up.")]
        public string Preset { get; init; } = "quick";

        [CommandOption("--length <N>")][Description("Training sequence length (the paper: 256).")] public int? Length { get; init; }
        [CommandOption("--vocab <N>")][Description("Symbols besides the trigger (the paper: 16).")] public int? Vocabulary { get; init; }
        [CommandOption("--test-lengths <LIST>")][Description("Lengths tested after training, comma-separated (default: powers of two from 2^6 to the preset's longest).")] public string? TestLengths { get; init; }
        [CommandOption("--test-sequences <N>")][Description("Fresh sequences per test length (default 256).")] public int? TestSequences { get; init; }

        protected override string TaskName => "induction-heads";

        public override ValidationResult Validate()
        {
            if (base.Validate() is { Successful: false } shared) return shared;
            if (!Presets.ContainsKey(Preset)) return ValidationResult.Error($"--preset {Preset}: expected one of {string.Join(", ", Presets.Keys)}.");
            if (Length is < 4 or > InductionHeadsTask.MaxLength) return ValidationResult.Error($"--length {Length}: must be in 4..{InductionHeadsTask.MaxLength}.");
            if (Vocabulary is < 2 or > 65536) return ValidationResult.Error($"--vocab {Vocabulary}: must be in 2..65536.");
            if (TestLengths is not null && !GenerateCommand.Settings.TryInts(TestLengths, 4, InductionHeadsTask.MaxLength, out _))
                return ValidationResult.Error($"--test-lengths {TestLengths}: expected a comma-separated list of lengths in 4..{InductionHeadsTask.MaxLength}.");
            if (TestSequences is < 1 or > 1_000_000) return ValidationResult.Error($"--test-sequences {TestSequences}: must be in 1..1000000.");
            if (CheckEvery is 0) return ValidationResult.Error("--check-every 0: induction heads always checks (its accuracy against training time); at least 1.");
            return ValidationResult.Success();
        }

        public InductionHeadsSettings ToRunSettings()
        {
            var p = Presets[Preset];
            var task = new InductionHeadsTask(Length ?? p.Task.Length, Vocabulary ?? p.Task.Vocabulary).Validate();
            int steps = Steps ?? p.Steps;
            return p with
            {
                Task = task,
                TestLengths = TestLengths is null ? p.TestLengths : GenerateCommand.Settings.TryInts(TestLengths, 4, InductionHeadsTask.MaxLength, out var t) ? t : [],
                TestSequences = TestSequences ?? p.TestSequences,
                Steps = steps,
                Batch = Batch ?? p.Batch,
                DModel = DModel ?? p.DModel,
                NLayer = Layers ?? p.NLayer,
                LearningRate = LearningRate ?? p.LearningRate,
                WarmupSteps = Math.Min(p.WarmupSteps, Math.Max(1, steps / 10)),
                CheckEvery = CheckEvery ?? Math.Min(p.CheckEvery, steps),
                StopAtAccuracy = StopAt ?? p.StopAtAccuracy,
                Seed = Seed,
            };
        }
    }

    private static int[] PowersOfTwo(int fromLog2, int toLog2) => Enumerable.Range(fromLog2, toLog2 - fromLog2 + 1).Select(k => 1 << k).ToArray();

    /// <summary>The named settings; the task of "cpu" and "paper" is the paper's, "paper" tests it to 2^20.</summary>
    public static readonly IReadOnlyDictionary<string, InductionHeadsSettings> Presets = new Dictionary<string, InductionHeadsSettings>
    {
        ["quick"] = new(new InductionHeadsTask(64, 8), PowersOfTwo(6, 12), DModel: 32, Steps: 1500, Batch: 16, LearningRate: 2e-3,
            TestSequences: 256, TestTokensPerForward: 1 << 16, CheckEvery: 250),
        ["cpu"] = new(new InductionHeadsTask(256, 16), PowersOfTwo(6, 14), DModel: 64, Steps: 8000, Batch: 8, LearningRate: 1e-3,
            TestTokensPerForward: 1 << 17, CheckEvery: 500),
        ["paper"] = new(new InductionHeadsTask(256, 16), PowersOfTwo(6, 20), DModel: 64, Steps: 50000, Batch: 8, LearningRate: 1e-3,
            TestTokensPerForward: 1 << 20, CheckEvery: 1000),
    };

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var run = settings.ToRunSettings();
        var device = Startup.ResolveDevice(settings.Device);
        var scan = SelectiveScans.Resolve(settings.Scan, device);
        double chance = 1.0 / run.Task.Vocabulary;
        AnsiConsole.MarkupLineInterpolated(
            $"[grey]task:[/] train at length {run.Task.Length}, vocabulary {run.Task.Vocabulary}; test at {string.Join(", ", run.TestLengths)}; [grey]model:[/] d_model {run.DModel} x {run.NLayer} layers; [grey]scan:[/] {scan.Name}; up to {run.Steps} steps of {run.Batch}; chance = {chance:P1}");

        var result = CtrlC.StopsTraining(cancellationToken, stop =>
            InductionHeadsBenchmark.Run(run, device, scan,
                p => AnsiConsole.WriteLine($"step {p.Step}/{p.Steps}  loss {p.Loss:F4}  train acc {p.TrainAccuracy:P1}" +
                    (p.CheckAccuracy is { } a ? $"  check at {run.Task.Length}: {a:P1}" : "") + $"  {p.SequencesPerSecond:F1} seq/s  {p.Elapsed:hh\\:mm\\:ss}"),
                t => AnsiConsole.WriteLine($"tested length {t.Length}: {t.Accuracy:P1} of {t.Sequences} ({t.Seconds:F1} s)"),
                stop));

        var summary = new Table().AddColumns("setting", "value");
        summary.AddRow("task", $"train length {run.Task.Length}, vocabulary {run.Task.Vocabulary} (chance {chance:P1})");
        summary.AddRow("model", $"Mamba d_model {run.DModel} x {run.NLayer} ({result.Parameters:N0} parameters)");
        summary.AddRow("device / scan", Markup.Escape($"{result.Device} / {result.Scan}"));
        summary.AddRow("steps x batch", $"{result.Settings.Steps} x {run.Batch}");
        summary.AddRow("train time", $"{result.TrainTime.TotalMinutes:F1} min ({result.SequencesPerSecond:F1} sequences/s)");
        summary.AddRow("final train loss", $"{result.FinalLoss:F4}");
        AnsiConsole.Write(summary);
        var lengths = new Table().AddColumns("test length", "accuracy", "sequences", "seconds");
        foreach (var t in result.Tests)
            lengths.AddRow($"{t.Length:N0}{(t.Length == run.Task.Length ? " (trained)" : "")}", $"[bold]{t.Accuracy:P1}[/]", $"{t.Sequences}", $"{t.Seconds:F1}");
        AnsiConsole.Write(lengths);
        AnsiConsole.MarkupLine("[grey]The paper (Mamba, trained at 256): 100% at every length out to 2^20.[/]");
        JsonReport.Write(settings.JsonPath, result);
        return 0;
    }
}
