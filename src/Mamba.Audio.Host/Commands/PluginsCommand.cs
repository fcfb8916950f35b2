using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Commands;

/// <summary>`mamba-audio plugins`: what a chain can name, with each plugin's settings and parameters.</summary>
public sealed class PluginsCommand : Command<PluginsCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--plugins <DIR>")][Description("A folder of managed plugin assemblies to load as well (default: $MAMBA_AUDIO_PLUGINS, if set). A broken one is reported and skipped.")]
        public string? Plugins { get; init; }

        [CommandOption("--ladspa")][Description("List the LADSPA plugins installed on the system ($LADSPA_PATH, else /usr/lib/ladspa ...) with their parameters.")]
        public bool Ladspa { get; init; }

        [CommandOption("--rate <HZ>")][Description("Sample rate for the ranges that scale with it (default 48000).")]
        public int Rate { get; init; } = 48000;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Ladspa) return ListLadspa(settings.Rate);
        var table = new Table().AddColumns("name", "kind", "what", "settings", "parameters (live)");
        foreach (var entry in ChainCatalog.Create(settings.Plugins).Entries)
            table.AddRow(Markup.Escape(entry.Name), entry.Kind, Markup.Escape(entry.Summary), Markup.Escape(string.Join(", ", entry.Settings)),
                Markup.Escape(entry.Parameters.Count == 0 ? "none" : string.Join("; ", entry.Parameters)));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("[grey]LADSPA plugins: `mamba-audio plugins --ladspa`; in a chain: ladspa file=FILE label=LABEL PARAMETER=VALUE ...[/]");
        return 0;
    }

    private static int ListLadspa(int rate)
    {
        var folders = Mamba.Audio.Plugins.Ladspa.LadspaLibrary.SearchPath();
        if (folders.Count == 0)
        {
            AnsiConsole.MarkupLine("[yellow]no LADSPA folder found[/] (set LADSPA_PATH, or install plugins: Debian swh-plugins, tap-plugins, cmt, ladspa-sdk).");
            return 0;
        }
        var table = new Table().AddColumns("file", "label", "name", "audio in/out", "parameters");
        int count = 0;
        foreach (var d in Mamba.Audio.Plugins.Ladspa.LadspaLibrary.All())
        {
            count++;
            table.AddRow(Markup.Escape(Path.GetFileNameWithoutExtension(d.File)), Markup.Escape(d.Label), Markup.Escape(d.Name),
                $"{d.AudioInputs.Count()}/{d.AudioOutputs.Count()}",
                Markup.Escape(string.Join("; ", Mamba.Audio.Plugins.Ladspa.LadspaEffect.ParametersOf(d, rate))));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"[grey]{count} plugins in {string.Join(", ", folders)}; usable as effects when they have audio in and out.[/]");
        return 0;
    }
}
