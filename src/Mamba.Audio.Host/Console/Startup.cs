using Mamba.Core.Devices;
using Spectre.Console;
using static TorchSharp.torch;

namespace Mamba.Audio.Host.Console;

/// <summary>The start-up line every command prints: which device the run uses, so no one guesses.</summary>
public static class Startup
{
    public static Device ResolveDevice(string choice)
    {
        var device = ComputeDevice.Resolve(choice);
        AnsiConsole.MarkupLineInterpolated($"[grey]device:[/] [bold]{ComputeDevice.Describe(device)}[/]");
        return device;
    }
}
