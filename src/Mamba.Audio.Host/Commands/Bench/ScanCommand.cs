using System.ComponentModel;
using Mamba.Audio.Host.Console;
using Mamba.Core.Scan;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Commands.Bench;

/// <summary>`mamba-audio bench scan`: the fused CPU selective scan against the reference.</summary>
public sealed class ScanCommand : Command<ScanCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--runs <N>")][Description("Timed runs per configuration; the median is reported (default 5).")]
        public int Runs { get; init; } = 5;

        [CommandOption("--json <PATH>")][Description("Where to write the JSON result (default artifacts/bench/scan.json).")]
        public string Json { get; init; } = "artifacts/bench/scan.json";

        public override ValidationResult Validate() =>
            Runs is < 1 or > 1000 ? ValidationResult.Error($"--runs {Runs}: must be in 1..1000.") : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        Startup.ResolveDevice("cpu");
        var timings = SelectiveScanBenchmark.RunDefault(settings.Runs);
        var table = new Table().AddColumns("scan", "b x d_in x n x l", "threads", "forward", "samples/s", "forward+backward", "samples/s");
        foreach (var t in timings)
            table.AddRow(t.Scan, $"{t.Batch} x {t.DInner} x {t.DState} x {t.Length}", $"{t.Threads}",
                $"{t.ForwardSeconds * 1e3:F2} ms", $"{t.ForwardSamplesPerSecond:N0}",
                $"{t.ForwardBackwardSeconds * 1e3:F2} ms", $"{t.ForwardBackwardSamplesPerSecond:N0}");
        AnsiConsole.Write(table);
        JsonReport.Write(settings.Json, new { Machine = MachineInfo.Describe(), Date = DateTime.UtcNow, Timings = timings });
        return 0;
    }
}
