using System.ComponentModel;
using Mamba.Audio.Streaming;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Commands;

/// <summary>`mamba-audio devices`: where sound can go and come from: the PulseAudio server's sinks and sources, ALSA's devices, and on Windows WASAPI's endpoints.</summary>
public sealed class DevicesCommand : Command<DevicesCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--server <ADDRESS>")][Description("The PulseAudio server to ask (default: $PULSE_SERVER, else the user's own server).")]
        public string? Server { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows()) ListWasapi();
        ListPulse(settings.Server);
        ListAlsa();
        return 0;
    }

    private static void ListPulse(string? server)
    {
        IReadOnlyList<PulseDevice> devices;
        try { devices = PulseDevices.List(server); }
        catch (AudioDeviceException e)
        {
            AnsiConsole.MarkupLineInterpolated($"[bold]PulseAudio[/] (sink `pulse`, generator `capture`): [yellow]{e.Message}[/]");
            return;
        }
        var table = new Table().AddColumns("PulseAudio device (device=...)", "direction", "description", "default");
        foreach (var d in devices) table.AddRow(Markup.Escape(d.Name), d.Direction, Markup.Escape(d.Description), d.IsDefault ? "yes" : "");
        AnsiConsole.MarkupLineInterpolated($"[bold]PulseAudio[/] (sink `pulse device=NAME`, generator `capture device=NAME`; a sink's monitor records what it plays): a server answers ({server ?? Environment.GetEnvironmentVariable("PULSE_SERVER") ?? "the default"}).");
        AnsiConsole.Write(table);
    }

    private static void ListAlsa()
    {
        IReadOnlyList<AlsaDevice> alsa;
        try { alsa = AlsaDevices.List(); }
        catch (AudioDeviceException e) { AnsiConsole.MarkupLineInterpolated($"[bold]ALSA[/]: [yellow]{e.Message}[/]"); return; }
        var table = new Table().AddColumns("ALSA device (alsa device=...)", "direction", "description");
        foreach (var d in alsa) table.AddRow(Markup.Escape(d.Name), d.Direction, Markup.Escape(d.Description));
        AnsiConsole.Write(table);
        if (alsa.Count == 0) AnsiConsole.MarkupLine("[yellow]ALSA lists no devices[/] (no sound card, and no ALSA plugins such as libasound2-plugins' pulse).");
    }

    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    private static void ListWasapi()
    {
        IReadOnlyList<Mamba.Audio.Streaming.Wasapi.WasapiDevice> devices;
        try { devices = Mamba.Audio.Streaming.Wasapi.WasapiDevices.List(); }
        catch (Exception e) when (e is AudioDeviceException or System.Runtime.InteropServices.COMException)
        {
            AnsiConsole.MarkupLineInterpolated($"[bold]WASAPI[/]: [yellow]{e.Message}[/]");
            return;
        }
        var table = new Table().AddColumns("WASAPI device (wasapi device=ID or part of the name)", "direction", "ID", "default");
        foreach (var d in devices) table.AddRow(Markup.Escape(d.Name), d.Direction, Markup.Escape(d.Id), d.IsDefault ? "yes" : "");
        AnsiConsole.Write(table);
    }
}
