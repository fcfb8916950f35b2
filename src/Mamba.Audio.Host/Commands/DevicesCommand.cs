using Mamba.Audio.Streaming;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Commands;

/// <summary>`mamba-audio devices`: where sound can go and come from: the PulseAudio server, and ALSA's devices.</summary>
public sealed class DevicesCommand : Command<DevicesCommand.Settings>
{
    public sealed class Settings : CommandSettings { }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // PulseAudio: the simple API cannot list sinks; opening the default sink says whether a server answers.
        string pulse;
        try
        {
            using var probe = new PulseAudioOutput(48000, 480, 4800, name: "mamba-audio devices");
            pulse = $"a server answers ({Environment.GetEnvironmentVariable("PULSE_SERVER") ?? "the default"}): `pulse` plays to its default sink, `pulse device=NAME` to another (pactl list short sinks); `capture device=NAME` records from a source (pactl list short sources; a sink's monitor is NAME.monitor).";
        }
        catch (AudioDeviceException e)
        {
            pulse = e.Message;
        }
        AnsiConsole.MarkupLineInterpolated($"[bold]PulseAudio[/] (sinks `pulse`, generator `capture`): {pulse}");
        var table = new Table().AddColumns("ALSA device (alsa device=...)", "direction", "description");
        IReadOnlyList<AlsaDevice> alsa;
        try { alsa = AlsaDevices.List(); }
        catch (AudioDeviceException e) { AnsiConsole.MarkupLineInterpolated($"[yellow]{e.Message}[/]"); return 0; }
        foreach (var d in alsa) table.AddRow(Markup.Escape(d.Name), d.Direction, Markup.Escape(d.Description));
        AnsiConsole.Write(table);
        if (alsa.Count == 0) AnsiConsole.MarkupLine("[yellow]ALSA lists no devices[/] (no sound card, and no ALSA plugins such as libasound2-plugins' pulse).");
        return 0;
    }
}
