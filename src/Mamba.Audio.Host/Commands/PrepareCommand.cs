using System.ComponentModel;
using System.Text.RegularExpressions;
using Mamba.Audio.Corpora;
using Mamba.Audio.Files;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Commands;

/// <summary>`mamba-audio prepare &lt;inputs...&gt; --out &lt;corpus&gt;`: WAV folders in, a mu-law corpus out (see CorpusBuilder).</summary>
public sealed class PrepareCommand : Command<PrepareCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<inputs>")]
        [Description("Folders (searched recursively for *.wav / *.wave) and WAV files.")]
        public string[] Inputs { get; init; } = [];

        [CommandOption("--out <DIR>")]
        [Description("The corpus directory (audio.bin, index.json, manifest.json). An existing corpus there is updated incrementally.")]
        public string? Output { get; init; }

        [CommandOption("--rate <HZ>")][Description("Corpus sample rate in 1000..384000 Hz; every file is resampled to it (default 16000).")]
        public int Rate { get; init; } = AudioInput.DefaultSampleRate;

        [CommandOption("--seed <N>")][Description("Seed of the train/validation split (default 1).")]
        public long Seed { get; init; } = 1;

        [CommandOption("--validation-fraction <F>")][Description("Expected share of groups held out for validation, 0..1 (default 0.1).")]
        public double ValidationFraction { get; init; } = 0.1;

        [CommandOption("--group-by <REGEX>")]
        // Descriptions are Spectre markup: brackets are written doubled ("[[", "]]") to print as themselves.
        [Description("Regular expression on each file's path relative to its input folder; its first capture group names the file's group, and a group's files share one split (e.g. '^([[^_]]+)_' for the voice of digits clips). Default: each file is its own group.")]
        public string? GroupBy { get; init; }

        [CommandOption("--strict")][Description("Fail (exit code 2, corpus unchanged) instead of skipping a broken or non-WAV file or tolerating a data size that lies.")]
        public bool Strict { get; init; }

        public override ValidationResult Validate()
        {
            if (Inputs.Length == 0) return ValidationResult.Error("<inputs>: give at least one folder or WAV file.");
            if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--out: the corpus directory is required.");
            if (Rate is < CorpusBuilder.MinSampleRate or > CorpusBuilder.MaxSampleRate)
                return ValidationResult.Error($"--rate {Rate}: must be in {CorpusBuilder.MinSampleRate}..{CorpusBuilder.MaxSampleRate} Hz (a model of audio below 1 kHz hears nothing; above that is no audio format).");
            if (!(ValidationFraction is >= 0 and <= 1)) return ValidationResult.Error($"--validation-fraction {ValidationFraction}: must be in [0, 1].");
            if (GroupBy is not null)
            {
                try
                {
                    if (new Regex(GroupBy).GetGroupNumbers().Length < 2)
                        return ValidationResult.Error($"--group-by {GroupBy}: needs a capture group, e.g. '^([^_]+)_'.");
                }
                catch (ArgumentException e)
                {
                    return ValidationResult.Error($"--group-by {GroupBy}: not a valid regular expression ({e.Message}).");
                }
            }
            return ValidationResult.Success();
        }

        public CorpusBuildOptions ToBuildOptions() =>
            new(Inputs, Output!, Rate, new CorpusSplitRule(Seed, ValidationFraction, GroupBy), Strict);
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = settings.ToBuildOptions();
        AnsiConsole.MarkupLineInterpolated(
            $"[grey]prepare:[/] {string.Join(", ", options.Inputs)} -> {Path.GetFullPath(options.Output)} at {options.SampleRate} Hz; split seed {settings.Seed}, validation {settings.ValidationFraction:P0}, group by {settings.GroupBy ?? "file"}{(settings.Strict ? "; strict" : "")}");
        var report = BuildWithProgress(options, cancellationToken);
        if (report.PreviousCorpusProblem is { } problem) AnsiConsole.MarkupLineInterpolated($"[yellow]note:[/] {problem}");

        var m = report.Manifest;
        var table = new Table().AddColumns("", "train", "validation", "total");
        table.AddRow("files", $"{m.Files.Train:N0}", $"{m.Files.Validation:N0}", $"{m.Files.Train + m.Files.Validation:N0}");
        table.AddRow("groups", $"{m.Groups.Train:N0}", $"{m.Groups.Validation:N0}", $"{m.Groups.Train + m.Groups.Validation:N0}");
        table.AddRow("hours", $"{m.Hours.Train:F3}", $"{m.Hours.Validation:F3}", $"{m.Hours.Train + m.Hours.Validation:F3}");
        table.AddRow("samples", $"{m.Samples.Train:N0}", $"{m.Samples.Validation:N0}", $"{m.TotalSamples:N0}");
        table.AddRow("unigram entropy (bits/sample)", $"{m.UnigramEntropyBits.Train:F3}", $"{m.UnigramEntropyBits.Validation:F3}", "");
        AnsiConsole.Write(table);
        if (m.SplitNote is { } note) AnsiConsole.MarkupLineInterpolated($"[yellow]split:[/] {note}");
        AnsiConsole.MarkupLineInterpolated(
            $"encoded {report.Encoded.Count:N0}, reused {report.Reused.Count:N0}, dropped {report.Dropped.Count:N0}, skipped {m.Skipped.Count:N0}, warnings {m.Warnings.Count:N0}; {report.Elapsed.TotalSeconds:F1} s");
        AnsiConsole.MarkupLineInterpolated($"[grey]content hash:[/] {m.ContentHash}");
        AnsiConsole.MarkupLineInterpolated($"[grey]manifest:[/] {report.ManifestPath}");
        return 0;
    }

    private static CorpusBuildReport BuildWithProgress(CorpusBuildOptions options, CancellationToken cancel)
    {
        void Notes(CorpusBuildProgress p)
        {
            if (p.Skipped is { } s) AnsiConsole.MarkupLineInterpolated($"[yellow]skipped[/] {s.Source}: {s.Reason}");
            foreach (var w in p.Warnings) AnsiConsole.MarkupLineInterpolated($"[yellow]warning[/] {p.Current}: {w}");
        }
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            // Logs and CI: a line about every 2 seconds, plus the first and the last file.
            var last = DateTime.MinValue;
            return CorpusBuilder.Build(options, p =>
            {
                Notes(p);
                if (p.FilesDone == 1 || p.FilesDone == p.FilesTotal || DateTime.UtcNow - last > TimeSpan.FromSeconds(2))
                {
                    last = DateTime.UtcNow;
                    AnsiConsole.WriteLine($"{p.FilesDone}/{p.FilesTotal} files  {p.HoursDone:F3} h  {p.Current}");
                }
            }, cancel);
        }
        CorpusBuildReport? report = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var bar = ctx.AddTask("files", maxValue: 1);
                report = CorpusBuilder.Build(options, p =>
                {
                    Notes(p);
                    bar.MaxValue = p.FilesTotal;
                    bar.Value = p.FilesDone;
                    bar.Description = Markup.Escape($"{p.FilesDone}/{p.FilesTotal}  {p.HoursDone:F3} h  {p.Current}");
                }, cancel);
                bar.Value = bar.MaxValue;
            });
        return report!;
    }
}
