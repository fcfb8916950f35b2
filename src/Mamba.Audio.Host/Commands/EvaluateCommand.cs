using System.ComponentModel;
using Mamba.Audio.Corpora;
using Mamba.Audio.Host.Terminal;
using Mamba.Core.Checkpoints;
using Mamba.Core.Engines.Cpu;
using Mamba.Training.Evaluation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Commands;

/// <summary>
/// `mamba-audio evaluate --checkpoint M --corpus C`: a Mamba checkpoint's validation bits/sample on a corpus's
/// held-out split (<see cref="ValidationScore"/>), on the CPU engine: models trained elsewhere, with other crops
/// or for other budgets, compared on the same crops.
/// </summary>
public sealed class EvaluateCommand : Command<EvaluateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--checkpoint <DIR>")][Description("A Mamba checkpoint directory (config.json + model.safetensors), or a run directory (its best/).")]
        public string Checkpoint { get; init; } = "";

        [CommandOption("--corpus <DIR>")][Description("A prepared corpus (mamba-audio prepare); its validation split is scored.")]
        public string Corpus { get; init; } = "";

        [CommandOption("--crop <N>")][Description("Samples predicted per crop, each crop from a zeroed state (default 2048; train's --crop gives train's crops).")]
        public int Crop { get; init; } = 2048;

        [CommandOption("--batch <N>")][Description("Crops per batch (default 16; train's --batch).")]
        public int Batch { get; init; } = 16;

        [CommandOption("--batches <N>")][Description("Batches scored (default 16; train's --eval-batches).")]
        public int Batches { get; init; } = 16;

        [CommandOption("--seed <N>")][Description("Seed of the crop positions (default 1; train's --seed).")]
        public long Seed { get; init; } = 1;

        [CommandOption("--threads <N>")][Description("CPU engine threads, 0 = every core (default 0).")]
        public int Threads { get; init; }

        [CommandOption("--json <PATH>")][Description("Also write the result as JSON here.")]
        public string? Json { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Checkpoint)) return ValidationResult.Error("--checkpoint: the Mamba checkpoint to score is required.");
            if (string.IsNullOrWhiteSpace(Corpus)) return ValidationResult.Error("--corpus: the prepared corpus to score on is required.");
            if (Crop is < 1 or > 1 << 24) return ValidationResult.Error($"--crop {Crop}: must be in 1..16777216.");
            if (Batch is < 1 or > 4096) return ValidationResult.Error($"--batch {Batch}: must be in 1..4096.");
            if (Batches is < 1 or > 1_000_000) return ValidationResult.Error($"--batches {Batches}: must be in 1..1000000.");
            if (Threads is < 0 or > 1024) return ValidationResult.Error($"--threads {Threads}: must be in 0..1024 (0 = every core).");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string path = RenderCommand.ResolveCheckpoint(settings.Checkpoint, "evaluate scores");
        var checkpoint = MambaCheckpoint.Load(path);
        using var corpus = AudioCorpus.Open(settings.Corpus);
        if (corpus.SampleRate != checkpoint.SampleRate)
            throw new ArgumentException($"--corpus {settings.Corpus} is at {corpus.SampleRate} Hz and --checkpoint {path} was trained at {checkpoint.SampleRate} Hz: prepare the corpus at --rate {checkpoint.SampleRate}.");
        using var engine = new CpuStepEngine(new CpuWeights(checkpoint), settings.Batch, new CpuEngineOptions(settings.Threads));
        var c = checkpoint.Config;
        AnsiConsole.MarkupLineInterpolated(
            $"[grey]evaluate:[/] {path} (Mamba d_model {c.DModel} x {c.NLayer}) on {settings.Corpus}'s validation split: {settings.Batches} x {settings.Batch} crops of {settings.Crop} samples, seed {settings.Seed}; CPU engine, {engine.Threads} thread(s)");
        var started = DateTime.UtcNow;
        var lastLine = DateTime.UtcNow;
        var result = ValidationScore.Measure(engine, corpus, settings.Crop, settings.Batch, settings.Batches, settings.Seed, done =>
        {
            if (done < settings.Batches && DateTime.UtcNow - lastLine < TimeSpan.FromSeconds(2)) return;
            lastLine = DateTime.UtcNow;
            AnsiConsole.MarkupLineInterpolated($"[grey]scored {done} of {settings.Batches} batches ({(DateTime.UtcNow - started).TotalSeconds:F0} s)[/]");
        }, cancellationToken);

        var table = new Table().AddColumns("result", "value");
        table.AddRow("validation bits/sample", $"{result.BitsPerSample:F4}");
        table.AddRow("unigram entropy (trivial baseline)", $"{result.UnigramBits:F4}");
        table.AddRow("samples scored", $"{result.Samples:N0} ({result.Crops:N0} crops)");
        table.AddRow("speed", $"{result.Samples / result.Elapsed.TotalSeconds:N0} samples/s");
        AnsiConsole.Write(table);
        if (settings.Json is { } json)
            JsonReport.Write(json, new
            {
                Checkpoint = Path.GetFullPath(path), Corpus = Path.GetFullPath(settings.Corpus), CorpusHash = corpus.Manifest.ContentHash,
                settings.Crop, settings.Batch, settings.Batches, settings.Seed, result.BitsPerSample, result.UnigramBits, result.Samples,
                Seconds = result.Elapsed.TotalSeconds, Date = DateTime.UtcNow, Machine = MachineInfo.Describe(),
            });
        return 0;
    }
}
