using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Commands.Bench;

/// <summary>
/// The options every synthetic-task benchmark (selective copying, induction heads) shares: the
/// model, the optimiser's schedule, the device and scan, the accuracy checks and the JSON. Null
/// means "the preset's"; each command adds its task's own options and checks.
/// </summary>
public abstract class SyntheticTaskSettings : CommandSettings
{
    [CommandOption("--steps <N>")][Description("Most training steps (default: the preset's).")] public int? Steps { get; init; }
    [CommandOption("--batch <N>")][Description("Sequences per step.")] public int? Batch { get; init; }
    [CommandOption("--d-model <N>")][Description("Model width.")] public int? DModel { get; init; }
    [CommandOption("--layers <N>")][Description("Number of Mamba layers (default 2, as in the paper).")] public int? Layers { get; init; }
    [CommandOption("--lr <RATE>")][Description("Peak learning rate (AdamW).")] public double? LearningRate { get; init; }
    [CommandOption("--check-every <N>")][Description("Steps between accuracy checks on fresh sequences, kept as accuracy against training time (default: the preset's; 0: none).")] public int? CheckEvery { get; init; }
    [CommandOption("--stop-at <ACCURACY>")][Description("Stop training once a check reaches this accuracy (above 0, at most 1; default: train every step).")] public double? StopAt { get; init; }
    [CommandOption("--seed <N>")][Description("Seed for initialisation and data (default 1).")] public long Seed { get; init; } = 1;
    [CommandOption("--device <DEVICE>")][Description("auto, cpu, cuda or cuda:N (default auto).")] public string Device { get; init; } = "auto";
    [CommandOption("--scan <NAME>")][Description("Selective scan: auto, reference, cpu-fused, ilgpu (default auto: the fastest for the device).")] public string Scan { get; init; } = "auto";
    [CommandOption("--json <PATH>")][Description("Where to write the JSON result (default artifacts/bench/TASK.json, TASK the command's name).")] public string? Json { get; init; }

    /// <summary>The command's name under bench, the JSON's default file name.</summary>
    protected abstract string TaskName { get; }

    public string JsonPath => Json ?? $"artifacts/bench/{TaskName}.json";

    /// <summary>The checks of the shared options; a command's Validate adds its own after these.</summary>
    public override ValidationResult Validate()
    {
        if (Steps is < 1) return ValidationResult.Error($"--steps {Steps}: must be at least 1.");
        if (Batch is < 1 or > 65536) return ValidationResult.Error($"--batch {Batch}: must be in 1..65536.");
        if (DModel is < 1 or > 8192) return ValidationResult.Error($"--d-model {DModel}: must be in 1..8192.");
        if (Layers is < 1 or > 64) return ValidationResult.Error($"--layers {Layers}: must be in 1..64.");
        if (LearningRate is <= 0 or > 1) return ValidationResult.Error($"--lr {LearningRate}: must be in (0, 1].");
        if (CheckEvery is < 0) return ValidationResult.Error($"--check-every {CheckEvery}: must be at least 0.");
        if (StopAt is <= 0 or > 1) return ValidationResult.Error($"--stop-at {StopAt}: must be in (0, 1].");
        return ValidationResult.Success();
    }
}
