using System.ComponentModel;
using Mamba.Audio.Host.Terminal;
using Mamba.Core.Model;
using Mamba.Training.Devices;
using Mamba.Training.Distributed;
using Mamba.Training.Models;
using Mamba.Training.Runs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Commands;

/// <summary>`mamba-audio train`: a corpus in, checkpoints, metrics and a loss curve out.</summary>
public sealed class TrainCommand : Command<TrainCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--corpus <DIR>")][Description("Corpus directory made by `mamba-audio prepare`.")]
        public string Corpus { get; init; } = "";

        [CommandOption("--out <DIR>")][Description("Run directory for checkpoints/, best/, metrics.jsonl and loss.png: new or empty (or a run of mamba-audio, with --resume); a folder of other files is refused.")]
        public string Out { get; init; } = "";

        [CommandOption("--preset <NAME>")][Description("Model size: tiny (32 x 2), small (64 x 4) or base (256 x 8). Default small.")]
        public string Preset { get; init; } = "small";

        [CommandOption("--arch <NAME>")][Description("mamba (default) or transformer (the baseline, sized to the same parameter count).")]
        public string Arch { get; init; } = "mamba";

        [CommandOption("--d-model <N>")][Description("Override the preset's width.")] public int? DModel { get; init; }
        [CommandOption("--layers <N>")][Description("Override the preset's layer count.")] public int? Layers { get; init; }
        [CommandOption("--device <DEVICE>")][Description("auto (default), cpu, cuda or cuda:N.")] public string Device { get; init; } = "auto";
        [CommandOption("--crop <N>")][Description("Samples per training crop (default 2048).")] public int Crop { get; init; } = 2048;
        [CommandOption("--batch <N>")][Description("Crops per step (default 8).")] public int Batch { get; init; } = 8;
        [CommandOption("--steps <N>")][Description("Optimiser steps; the cosine schedule ends here (default 2000). With --resume, a larger value extends the run: the rate goes on from where it is in a cosine ending at the new total.")] public long Steps { get; init; } = 2000;
        [CommandOption("--minutes <M>")][Description("Stop after this much training time, with a checkpoint (default: no limit).")] public double? Minutes { get; init; }
        [CommandOption("--lr <RATE>")][Description("Peak learning rate (default 2e-3).")] public double LearningRate { get; init; } = 2e-3;
        [CommandOption("--warmup <N>")][Description("Linear warm-up steps (default 100).")] public long Warmup { get; init; } = 100;
        [CommandOption("--weight-decay <W>")][Description("AdamW weight decay on matrices (default 0.1).")] public double WeightDecay { get; init; } = 0.1;
        [CommandOption("--clip <NORM>")][Description("Gradient clipping norm (default 1.0).")] public double Clip { get; init; } = 1.0;
        [CommandOption("--eval-every <N>")][Description("Validate every N steps (default 100).")] public int EvalEvery { get; init; } = 100;
        [CommandOption("--eval-batches <N>")][Description("Validation batches, fixed crops (default 8).")] public int EvalBatches { get; init; } = 8;
        [CommandOption("--checkpoint-every <N>")][Description("Checkpoint every N steps (default 200).")] public int CheckpointEvery { get; init; } = 200;
        [CommandOption("--keep <K>")][Description("Step checkpoints kept besides best/ (default 3).")] public int Keep { get; init; } = 3;
        [CommandOption("--seed <N>")][Description("Seed for initialisation and data order (default 1).")] public long Seed { get; init; } = 1;
        [CommandOption("--scan <NAME>")][Description("Mamba's selective scan: auto (default: cpu-fused on the CPU, ilgpu on CUDA), reference, cpu-fused, ilgpu.")] public string Scan { get; init; } = "auto";
        [CommandOption("--matmul <PRECISION>")][Description("Float32 matrix products on CUDA: fp32 (default, exact) or tf32 (tensor cores, inputs rounded to a 10-bit mantissa, float32 sums; BENCHMARKS gives its speed and validation bits against fp32).")] public string Matmul { get; init; } = "fp32";
        [CommandOption("--resume")][Description("Continue the run in --out from its last checkpoint, exactly.")] public bool Resume { get; init; }
        [CommandOption("--gpus <N>")][Description("Data-parallel on N GPUs of this machine: N processes, one a GPU, gradients averaged by NCCL; --batch is the global batch (each GPU takes batch / N). 1 is the ordinary path.")] public int? Gpus { get; init; }
        [CommandOption("--world-size <N>")][Description("Data-parallel over N processes. Without --rank, starts all N here (on the CPU: TCP reductions); with --rank, this process is one of them (several machines: the same options on each, --rendezvous rank 0's address).")] public int? WorldSize { get; init; }
        [CommandOption("--rank <R>")][Description("This process's rank, 0..world-size-1; rank 0 writes the run directory.")] public int? Rank { get; init; }
        [CommandOption("--rendezvous <HOST:PORT>")][Description("Where the ranks meet: rank 0 listens there (default 127.0.0.1:29500).")] public string Rendezvous { get; init; } = "127.0.0.1:29500";
        [CommandOption("--collective <NAME>")][Description("How gradients are averaged: auto (default: nccl on CUDA, tcp on the CPU), nccl or tcp.")] public string Collective { get; init; } = "auto";
        [CommandOption("--join-timeout <S>")][Description("Seconds the ranks wait for one another at the start (default 120).")] public double JoinTimeout { get; init; } = 120;

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Corpus)) return ValidationResult.Error("--corpus is required: a directory made by `mamba-audio prepare`.");
            if (string.IsNullOrWhiteSpace(Out)) return ValidationResult.Error("--out is required: the run directory.");
            if (!MambaPresets.All.ContainsKey(Preset)) return ValidationResult.Error($"--preset {Preset}: expected one of {string.Join(", ", MambaPresets.All.Keys)}.");
            if (Arch is not ("mamba" or "transformer")) return ValidationResult.Error($"--arch {Arch}: expected mamba or transformer.");
            if (DModel is < 1 or > 8192) return ValidationResult.Error($"--d-model {DModel}: must be in 1..8192.");
            if (Layers is < 1 or > 256) return ValidationResult.Error($"--layers {Layers}: must be in 1..256.");
            if (Minutes is { } m && !(m > 0 && m <= Trainer.MaxTimeBudget.TotalMinutes))
                return ValidationResult.Error($"--minutes {m}: must be in (0, {Trainer.MaxTimeBudget.TotalMinutes:0}] (a year).");
            if (Gpus is { } g)
            {
                if (g is < 1 or > TrainingWorld.MaxSize) return ValidationResult.Error($"--gpus {g}: must be in 1..{TrainingWorld.MaxSize}.");
                if (WorldSize is not null || Rank is not null) return ValidationResult.Error("--gpus starts every rank on this machine; give either --gpus or --world-size/--rank, not both.");
                if (Device is not ("auto" or "cuda")) return ValidationResult.Error($"--gpus with --device {Device}: each rank takes a GPU of its own (cuda).");
            }
            if (WorldSize is { } w && w is < 1 or > TrainingWorld.MaxSize) return ValidationResult.Error($"--world-size {w}: must be in 1..{TrainingWorld.MaxSize}.");
            if (Rank is not null && WorldSize is null) return ValidationResult.Error("--rank needs --world-size (how many ranks there are).");
            if (Rank is { } r && (r < 0 || r >= WorldSize)) return ValidationResult.Error($"--rank {r}: must be in 0..{WorldSize - 1} for --world-size {WorldSize}.");
            int ranks = Gpus ?? WorldSize ?? 1;
            if (ranks > 1 && Batch % ranks != 0) return ValidationResult.Error($"--batch {Batch} does not divide among {ranks} ranks: use a multiple of {ranks} (--batch is the global batch; each rank takes batch / ranks).");
            if (!MatmulPrecision.Names.Contains(Matmul)) return ValidationResult.Error($"--matmul {Matmul}: expected {string.Join(" or ", MatmulPrecision.Names)}.");
            if (Matmul == "tf32" && Device == "cpu") return ValidationResult.Error("--matmul tf32 with --device cpu: tf32 is a CUDA tensor-core format; on the CPU every product is float32.");
            if (Collective is not ("auto" or "nccl" or "tcp")) return ValidationResult.Error($"--collective {Collective}: expected auto, nccl or tcp.");
            if (!(JoinTimeout > 0 && JoinTimeout <= 86400)) return ValidationResult.Error($"--join-timeout {JoinTimeout}: must be in (0, 86400] seconds.");
            try
            {
                TrainingWorld.ParseEndPoint(Rendezvous);
            }
            catch (ArgumentException e)
            {
                return ValidationResult.Error(e.Message);
            }
            return ValidationResult.Success();
        }

        public TrainOptions ToOptions()
        {
            var spec = AudioModelSpec.FromPreset(Preset, Arch == "transformer" ? Architecture.Transformer : Architecture.Mamba);
            spec = spec with { DModel = DModel ?? spec.DModel, NLayer = Layers ?? spec.NLayer };
            return new TrainOptions(Corpus, Out, spec, Crop, Batch, Steps, LearningRate, Warmup, 0.1, WeightDecay, Clip,
                EvalEvery, EvalBatches, CheckpointEvery, Keep, ReportEvery: 10, Seed, Resume,
                Minutes is { } m ? TimeSpan.FromMinutes(m) : null, Scan, Matmul);
        }
    }

    /// <summary>The options every rank of a launched run gets: the user's, spelled out, without the launcher's own.</summary>
    private static List<string> RankArguments(Settings s, int rank, int size, int port, string device, string collective)
    {
        string F(double x) => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        var a = new List<string>
        {
            "train", "--corpus", s.Corpus, "--out", s.Out, "--preset", s.Preset, "--arch", s.Arch, "--device", device,
            "--crop", $"{s.Crop}", "--batch", $"{s.Batch}", "--steps", $"{s.Steps}", "--lr", F(s.LearningRate), "--warmup", $"{s.Warmup}",
            "--weight-decay", F(s.WeightDecay), "--clip", F(s.Clip), "--eval-every", $"{s.EvalEvery}", "--eval-batches", $"{s.EvalBatches}",
            "--checkpoint-every", $"{s.CheckpointEvery}", "--keep", $"{s.Keep}", "--seed", $"{s.Seed}", "--scan", s.Scan, "--matmul", s.Matmul,
            "--world-size", $"{size}", "--rank", $"{rank}", "--rendezvous", $"127.0.0.1:{port}", "--collective", collective, "--join-timeout", F(s.JoinTimeout),
        };
        if (s.DModel is { } d) a.AddRange(["--d-model", $"{d}"]);
        if (s.Layers is { } l) a.AddRange(["--layers", $"{l}"]);
        if (s.Minutes is { } m) a.AddRange(["--minutes", F(m)]);
        if (s.Resume) a.Add("--resume");
        return a;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // A launcher: start every rank here and watch them.
        if (settings.Gpus is > 1 || (settings.WorldSize is > 1 && settings.Rank is null))
        {
            bool onGpus = settings.Gpus is not null;
            int ranks = settings.Gpus ?? settings.WorldSize!.Value;
            string rankDevice = onGpus ? "cuda" : settings.Device;
            if (onGpus)
            {
                int visible = TorchSharp.torch.cuda.is_available() ? TorchSharp.torch.cuda.device_count() : 0;
                if (visible < ranks) throw new ArgumentException($"--gpus {ranks}: this machine shows {visible} CUDA device(s).");
            }
            // auto with --device auto stays TCP: on a one-GPU machine every rank would resolve to the same GPU, which NCCL refuses.
            string collective = settings.Collective != "auto" ? settings.Collective : onGpus || rankDevice.StartsWith("cuda", StringComparison.Ordinal) ? "nccl" : "tcp";
            return TrainLauncher.Run(ranks, onGpus, (r, port) => RankArguments(settings, r, ranks, port, rankDevice, collective), cancellationToken);
        }

        var options = settings.ToOptions();
        var device = Startup.ResolveDevice(settings.Device);
        MatmulPrecision.Apply(settings.Matmul, device);   // refuses tf32 off CUDA before the run directory is touched
        TrainingWorld? world = null;
        if (settings.WorldSize is not null)
        {
            var backend = settings.Collective switch
            {
                "nccl" => CollectiveBackend.Nccl,
                "tcp" => CollectiveBackend.Tcp,
                _ => device.type == TorchSharp.DeviceType.CUDA ? CollectiveBackend.Nccl : CollectiveBackend.Tcp,
            };
            if (backend == CollectiveBackend.Nccl && device.type != TorchSharp.DeviceType.CUDA)
                throw new ArgumentException($"--collective nccl reduces GPU memory; this rank trains on {device}. Use --device cuda, or --collective tcp.");
            world = TrainingWorld.Create(settings.Rank ?? 0, settings.WorldSize.Value, settings.Rendezvous, backend, TimeSpan.FromSeconds(settings.JoinTimeout));
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // finish the step, write a checkpoint, exit cleanly
            stop.Cancel();
            AnsiConsole.MarkupLine("[yellow]stopping: writing a checkpoint...[/]");
        };
        Console.CancelKeyPress += onCancel;
        TrainLauncher.WatchLauncher(stop);
        TrainingResult result;
        try
        {
            result = Trainer.Run(options, device, new ConsoleTrainingObserver(), stop.Token, world);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }

        if (world is { IsLeader: false })
        {
            AnsiConsole.MarkupLineInterpolated($"rank {world.Rank}: {result.Step} steps of {result.Steps}{(result.Interrupted ? " (interrupted)" : "")}, done");
            return 0;
        }
        var table = new Table().AddColumns("result", "value");
        table.AddRow("steps", $"{result.Step} of {result.Steps}{(result.Interrupted ? " (interrupted)" : "")}");
        table.AddRow("validation bits/sample", $"{result.LastValidationBits:F4} (best {result.BestValidationBits:F4})");
        table.AddRow("unigram entropy (trivial baseline)", $"{result.UnigramEntropyBits:F4}");
        table.AddRow("training speed", $"{result.SamplesPerSecond:N0} samples/s");
        table.AddRow("time", ConsoleTrainingObserver.Duration(result.Elapsed));
        table.AddRow("last checkpoint", Markup.Escape(result.LastCheckpoint));
        AnsiConsole.Write(table);
        return 0;
    }
}
