using System.ComponentModel;
using Mamba.Audio.Host.Terminal;
using Mamba.Core.Model;
using Mamba.Training.Models;
using Mamba.Training.Runs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Commands;

/// <summary>`mamba-audio train`: a corpus in, checkpoints, metrics and a loss curve out.</summary>
public sealed class TrainCommand : Command<TrainCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--corpus <DIR>")][Description("Corpus directory made by `mamba-audio prepare`.")]
        public string Corpus { get; init; } = "";

        [CommandOption("--out <DIR>")][Description("Run directory for checkpoints/, best/, metrics.jsonl and loss.png: new or empty (or a run of mamba-audio, with --resume); a folder of other files is refused.")]
        public string Out { get; init; } = "";

        [CommandOption("--preset <NAME>")][Description("Model size: tiny (32 x 2), small (64 x 4) or base (256 x 8). Default small.")]
        public string Preset { get; init; } = "small";

        [CommandOption("--arch <NAME>")][Description("mamba (default) or transformer (the baseline, sized to the same parameter count).")]
        public string Arch { get; init; } = "mamba";

        [CommandOption("--d-model <N>")][Description("Override the preset's width.")] public int? DModel { get; init; }
        [CommandOption("--layers <N>")][Description("Override the preset's layer count.")] public int? Layers { get; init; }
        [CommandOption("--device <DEVICE>")][Description("auto (default), cpu, cuda or cuda:N.")] public string Device { get; init; } = "auto";
        [CommandOption("--crop <N>")][Description("Samples per training crop (default 2048).")] public int Crop { get; init; } = 2048;
        [CommandOption("--batch <N>")][Description("Crops per step (default 8).")] public int Batch { get; init; } = 8;
        [CommandOption("--steps <N>")][Description("Optimiser steps; the cosine schedule ends here (default 2000). With --resume, a larger value extends the run: the rate goes on from where it is in a cosine ending at the new total.")] public long Steps { get; init; } = 2000;
        [CommandOption("--minutes <M>")][Description("Stop after this much training time, with a checkpoint (default: no limit).")] public double? Minutes { get; init; }
        [CommandOption("--lr <RATE>")][Description("Peak learning rate (default 2e-3).")] public double LearningRate { get; init; } = 2e-3;
        [CommandOption("--warmup <N>")][Description("Linear warm-up steps (default 100).")] public long Warmup { get; init; } = 100;
        [CommandOption("--weight-decay <W>")][Description("AdamW weight decay on matrices (default 0.1).")] public double WeightDecay { get; init; } = 0.1;
        [CommandOption("--clip <NORM>")][Description("Gradient clipping norm (default 1.0).")] public double Clip { get; init; } = 1.0;
        [CommandOption("--eval-every <N>")][Description("Validate every N steps (default 100).")] public int EvalEvery { get; init; } = 100;
        [CommandOption("--eval-batches <N>")][Description("Validation batches, fixed crops (default 8).")] public int EvalBatches { get; init; } = 8;
        [CommandOption("--checkpoint-every <N>")][Description("Checkpoint every N steps (default 200).")] public int CheckpointEvery { get; init; } = 200;
        [CommandOption("--keep <K>")][Description("Step checkpoints kept besides best/ (default 3).")] public int Keep { get; init; } = 3;
        [CommandOption("--seed <N>")][Description("Seed for initialisation and data order (default 1).")] public long Seed { get; init; } = 1;
        [CommandOption("--scan <NAME>")][Description("Mamba's selective scan: auto (default: cpu-fused on the CPU, ilgpu on CUDA), reference, cpu-fused, ilgpu.")] public string Scan { get; init; } = "auto";
        [CommandOption("--resume")][Description("Continue the run in --out from its last checkpoint, exactly.")] public bool Resume { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Corpus)) return ValidationResult.Error("--corpus is required: a directory made by `mamba-audio prepare`.");
            if (string.IsNullOrWhiteSpace(Out)) return ValidationResult.Error("--out is required: the run directory.");
            if (!MambaPresets.All.ContainsKey(Preset)) return ValidationResult.Error($"--preset {Preset}: expected one of {string.Join(", ", MambaPresets.All.Keys)}.");
            if (Arch is not ("mamba" or "transformer")) return ValidationResult.Error($"--arch {Arch}: expected mamba or transformer.");
            if (DModel is < 1 or > 8192) return ValidationResult.Error($"--d-model {DModel}: must be in 1..8192.");
            if (Layers is < 1 or > 256) return ValidationResult.Error($"--layers {Layers}: must be in 1..256.");
            if (Minutes is { } m && !(m > 0 && m <= Trainer.MaxTimeBudget.TotalMinutes))
                return ValidationResult.Error($"--minutes {m}: must be in (0, {Trainer.MaxTimeBudget.TotalMinutes:0}] (a year).");
            return ValidationResult.Success();
        }

        public TrainOptions ToOptions()
        {
            var spec = AudioModelSpec.FromPreset(Preset, Arch == "transformer" ? Architecture.Transformer : Architecture.Mamba);
            spec = spec with { DModel = DModel ?? spec.DModel, NLayer = Layers ?? spec.NLayer };
            return new TrainOptions(Corpus, Out, spec, Crop, Batch, Steps, LearningRate, Warmup, 0.1, WeightDecay, Clip,
                EvalEvery, EvalBatches, CheckpointEvery, Keep, ReportEvery: 10, Seed, Resume,
                Minutes is { } m ? TimeSpan.FromMinutes(m) : null, Scan);
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = settings.ToOptions();
        var device = Startup.ResolveDevice(settings.Device);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // finish the step, write a checkpoint, exit cleanly
            stop.Cancel();
            AnsiConsole.MarkupLine("[yellow]stopping: writing a checkpoint...[/]");
        };
        Console.CancelKeyPress += onCancel;
        TrainingResult result;
        try
        {
            result = Trainer.Run(options, device, new ConsoleTrainingObserver(), stop.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }

        var table = new Table().AddColumns("result", "value");
        table.AddRow("steps", $"{result.Step} of {result.Steps}{(result.Interrupted ? " (interrupted)" : "")}");
        table.AddRow("validation bits/sample", $"{result.LastValidationBits:F4} (best {result.BestValidationBits:F4})");
        table.AddRow("unigram entropy (trivial baseline)", $"{result.UnigramEntropyBits:F4}");
        table.AddRow("training speed", $"{result.SamplesPerSecond:N0} samples/s");
        table.AddRow("time", ConsoleTrainingObserver.Duration(result.Elapsed));
        table.AddRow("last checkpoint", Markup.Escape(result.LastCheckpoint));
        AnsiConsole.Write(table);
        return 0;
    }
}
