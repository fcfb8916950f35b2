using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Commands;

/// <summary>`mamba-audio plugins`: what a chain can name, with each plugin's settings and parameters.</summary>
public sealed class PluginsCommand : Command<PluginsCommand.Settings>
{
    public sealed class Settings : CommandSettings { }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var table = new Table().AddColumns("name", "kind", "what", "settings", "parameters (live)");
        foreach (var entry in ChainCatalog.Create().Entries)
            table.AddRow(Markup.Escape(entry.Name), entry.Kind, Markup.Escape(entry.Summary), Markup.Escape(string.Join(", ", entry.Settings)),
                Markup.Escape(entry.Parameters.Count == 0 ? "none" : string.Join("; ", entry.Parameters)));
        AnsiConsole.Write(table);
        return 0;
    }
}
