using Mamba.Training.Devices;
using Spectre.Console;
using static TorchSharp.torch;

namespace Mamba.Audio.Host.Terminal;

/// <summary>The start-up line every command prints: which device the run uses, so no one guesses.</summary>
public static class Startup
{
    /// <summary>Resolves a torch device (loading libtorch) and prints it.</summary>
    public static Device ResolveDevice(string choice)
    {
        var device = ComputeDevice.Resolve(choice);
        AnsiConsole.MarkupLineInterpolated($"[grey]device:[/] [bold]{ComputeDevice.Describe(device)}[/]");
        return device;
    }

    /// <summary>Prints the CPU line of a run on the torch-free engines (libtorch is not loaded for it).</summary>
    public static void PrintCpu(string what)
    {
        AnsiConsole.MarkupLineInterpolated($"[grey]device:[/] [bold]CPU ({Environment.ProcessorCount} logical cores, {what})[/]");
    }

    /// <summary>Prints the GPU line of a run on the CUDA engine (ILGPU on the driver; libtorch is not loaded).</summary>
    public static void PrintCuda(string gpu)
    {
        AnsiConsole.MarkupLineInterpolated($"[grey]device:[/] [bold]CUDA {gpu} (the CUDA engine; libtorch is not loaded)[/]");
    }
}
