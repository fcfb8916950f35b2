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

        [CommandOption("--lv2")][Description("List the LV2 plugins installed on the system (through liblilv: $LV2_PATH, else ~/.lv2, /usr/lib/lv2 ...) with their parameters, and whether each can run in a chain.")]
        public bool Lv2 { get; init; }

        [CommandOption("--rate <HZ>")][Description("Sample rate for the ranges that scale with it (default 48000).")]
        public int Rate { get; init; } = 48000;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Ladspa) return ListLadspa(settings.Rate);
        if (settings.Lv2) return ListLv2(settings.Rate);
        var table = new Table().AddColumns("name", "kind", "what", "settings", "parameters (live)");
        foreach (var entry in ChainCatalog.Create(settings.Plugins).Entries)
            table.AddRow(Markup.Escape(entry.Name), entry.Kind, Markup.Escape(entry.Summary), Markup.Escape(string.Join(", ", entry.Settings)),
                Markup.Escape(entry.Parameters.Count == 0 ? "none" : string.Join("; ", entry.Parameters)));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("[grey]LADSPA plugins: `mamba-audio plugins --ladspa`; in a chain: ladspa file=FILE label=LABEL PARAMETER=VALUE ...[/]");
        AnsiConsole.MarkupLine("[grey]LV2 plugins: `mamba-audio plugins --lv2`; in a chain: lv2 uri=URI SYMBOL=VALUE ...[/]");
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

    private static int ListLv2(int rate)
    {
        var plugins = Mamba.Audio.Plugins.Lv2.Lv2World.All();
        if (plugins.Count == 0)
        {
            AnsiConsole.MarkupLine("[yellow]no LV2 plugin found[/] (set LV2_PATH, or install plugins: Debian swh-lv2, mda-lv2, x42-plugins).");
            return 0;
        }
        var table = new Table().AddColumns("uri", "name", "class", "audio in/out", "parameters, or why it cannot run here");
        int usable = 0;
        foreach (var p in plugins)
        {
            var problem = p.Problem();
            if (problem is null) usable++;
            table.AddRow(Markup.Escape(p.Uri), Markup.Escape(p.Name), Markup.Escape(p.Class), $"{p.AudioInputs.Count()}/{p.AudioOutputs.Count()}",
                problem is null ? Markup.Escape(string.Join("; ", Mamba.Audio.Plugins.Lv2.Lv2Effect.ParametersOf(p, rate)))
                    : $"[yellow]{Markup.Escape(problem)}[/]");
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"[grey]{plugins.Count} LV2 plugins, {usable} usable as chain effects.[/]");
        return 0;
    }
}
