using System.ComponentModel;
using Mamba.Audio.Host.Terminal;
using Mamba.Training.Scan;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Commands.Bench;

/// <summary>`mamba-audio bench scan`: the fused selective scans (CPU, or ILGPU on CUDA) against the reference.</summary>
public sealed class ScanCommand : Command<ScanCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--runs <N>")][Description("Timed runs per configuration; the median is reported (default 5).")]
        public int Runs { get; init; } = 5;

        [CommandOption("--json <PATH>")][Description("Where to write the JSON result (default artifacts/bench/scan.json).")]
        public string Json { get; init; } = "artifacts/bench/scan.json";

        [CommandOption("--device <DEVICE>")][Description("cpu (the fused C# scan) or cuda (the ILGPU kernels); default cpu.")]
        public string Device { get; init; } = "cpu";

        public override ValidationResult Validate() =>
            Runs is < 1 or > 1000 ? ValidationResult.Error($"--runs {Runs}: must be in 1..1000.") : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var device = Startup.ResolveDevice(settings.Device);
        var timings = device.type == TorchSharp.DeviceType.CUDA
            ? SelectiveScanBenchmark.RunCuda(device, settings.Runs)
            : SelectiveScanBenchmark.RunDefault(settings.Runs);
        var table = new Table().AddColumns("scan", "device", "b x d_in x n x l", "threads", "forward", "samples/s", "forward+backward", "samples/s");
        foreach (var t in timings)
            table.AddRow(Markup.Escape(t.Scan), Markup.Escape(t.Device), $"{t.Batch} x {t.DInner} x {t.DState} x {t.Length}", $"{t.Threads}",
                $"{t.ForwardSeconds * 1e3:F2} ms", $"{t.ForwardSamplesPerSecond:N0}",
                $"{t.ForwardBackwardSeconds * 1e3:F2} ms", $"{t.ForwardBackwardSamplesPerSecond:N0}");
        AnsiConsole.Write(table);
        JsonReport.Write(settings.Json, new { Machine = MachineInfo.Describe(), Date = DateTime.UtcNow, Timings = timings });
        return 0;
    }
}
