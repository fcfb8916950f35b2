using System.ComponentModel;
using System.Diagnostics;
using Mamba.Audio.Generation;
using Mamba.Audio.Host.Terminal;
using Mamba.Core.Checkpoints;
using Mamba.Core.Engines;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Model;
using Mamba.Core.Sampling;
using Mamba.Training.Transformer;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Commands;

/// <summary>`mamba-audio render`: a Mamba checkpoint in, WAV files out, in constant memory.</summary>
public sealed class RenderCommand : Command<RenderCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--checkpoint <DIR>")][Description("Mamba checkpoint directory (a train run's best/ or checkpoints/step-N; a run directory means its best/).")]
        public string Checkpoint { get; init; } = "";

        [CommandOption("--out <FILE>")][Description("WAV file to write (NAME.wav, with the report NAME.json beside it); with --takes N, NAME-take1.wav .. NAME-takeN.wav. Takes render as *.partial.wav and are renamed when done; existing files are never replaced without --force.")]
        public string Out { get; init; } = "";

        [CommandOption("--chain <CHAIN>")][Description("Render a chain offline instead: generator | effects | wav sinks, by the plugins and code play runs live, as fast as they go (README, 'Chains'); --seconds sets the length. The chain names the model and the files: no --checkpoint or --out then. A value ending in .json names a JSON chain file.")]
        public string? Chain { get; init; }

        [CommandOption("--plugins <DIR>")][Description("With --chain: a folder of managed plugin assemblies to load as well.")]
        public string? Plugins { get; init; }

        [CommandOption("--spectrogram")][Description("Also draw each take's spectrogram as NAME.spectrogram.png (time across, frequency up to Nyquist, dB).")]
        public bool Spectrogram { get; init; }

        [CommandOption("--force")][Description("Replace existing output files (the takes, NAME.json and takes left *.partial.wav by a stopped render). Never a directory, never a file inside the checkpoint.")]
        public bool Force { get; init; }

        [CommandOption("--seconds <S>")][Description("Duration of each take in seconds (default 10; up to 86400: memory does not grow with it).")]
        public double Seconds { get; init; } = 10;

        [CommandOption("--temperature <T>")][Description("Sampling temperature, 0 = greedy (default 1).")]
        public float Temperature { get; init; } = 1f;

        [CommandOption("--top-p <P>")][Description("Nucleus sampling mass in (0, 1]] (default 1: the full distribution).")]
        public float TopP { get; init; } = 1f;

        [CommandOption("--seed <N>")][Description("Seed of the first take; take i uses seed + i (default 1). The same seed gives the same file.")]
        public ulong Seed { get; init; } = 1;

        [CommandOption("--prompt <WAV>")][Description("Continue from this WAV file (any rate and channels; converted to mono at the model's rate).")]
        public string? Prompt { get; init; }

        [CommandOption("--prompt-seconds <S>")][Description("Use the last S seconds of the prompt (default 4; at most 600, or 10 with --prime forward).")]
        public double PromptSeconds { get; init; } = 4;

        [CommandOption("--prime <HOW>")][Description("How a prompt primes the state: auto (default: step on the CPU engine, forward on torch), step (CPU engine: sample by sample through its kernels, constant memory, no libtorch) or forward (one parallel pass of the TorchSharp model, which loads libtorch; its memory grows with the prompt).")]
        public string Prime { get; init; } = "auto";

        [CommandOption("--takes <N>")][Description("Variations rendered at once, ranked by log-likelihood per sample (default 1; 1..64).")]
        public int Takes { get; init; } = 1;

        [CommandOption("--engine <NAME>")][Description("auto (default: cpu), cpu (the fused C# engine of Mamba.Core; libtorch is never loaded), cuda (the ILGPU engine on the first NVIDIA GPU, sampling there; libtorch is never loaded; the same samples as cpu for a seed, BENCHMARKS.md) or torch (the TorchSharp reference, on --device).")]
        public string Engine { get; init; } = "auto";

        [CommandOption("--device <DEVICE>")][Description("auto (default), cpu, cuda or cuda:N: where the torch engine runs (ignored by the CPU engine).")]
        public string Device { get; init; } = "auto";

        [CommandOption("--threads <N>")][Description("CPU engine threads, 0 = every core (default 0); takes are split across them.")]
        public int Threads { get; init; } = 0;

        [CommandOption("--block <N>")][Description("Samples per block: the file grows and stays valid block by block (default 4096; 64..65536).")]
        public int Block { get; init; } = RenderRequest.DefaultBlockSamples;

        public override ValidationResult Validate()
        {
            if (Chain is not null)
            {
                if (!string.IsNullOrWhiteSpace(Checkpoint) || !string.IsNullOrWhiteSpace(Out) || Prompt is not null || Takes != 1)
                    return ValidationResult.Error("--chain: the chain names the model and the files (mamba checkpoint=..., wav path=...); --checkpoint, --out, --prompt and --takes do not go with it.");
                if (!(Seconds > 0 && Seconds <= RenderRequest.MaxSeconds)) return ValidationResult.Error($"--seconds {Seconds}: must be in (0, {RenderRequest.MaxSeconds}].");
                return ValidationResult.Success();
            }
            if (string.IsNullOrWhiteSpace(Checkpoint)) return ValidationResult.Error("--checkpoint is required: a Mamba checkpoint directory (or --chain).");
            if (string.IsNullOrWhiteSpace(Out)) return ValidationResult.Error("--out is required: the WAV file to write.");
            if (RenderOutputs.NameProblem(Out) is { } outProblem) return ValidationResult.Error(outProblem);
            if (!(Seconds > 0 && Seconds <= RenderRequest.MaxSeconds)) return ValidationResult.Error($"--seconds {Seconds}: must be in (0, {RenderRequest.MaxSeconds}].");
            if (!(Temperature >= 0 && Temperature <= 100)) return ValidationResult.Error($"--temperature {Temperature}: must be in [0, 100] (0 = greedy).");
            if (!(TopP > 0 && TopP <= 1)) return ValidationResult.Error($"--top-p {TopP}: must be in (0, 1].");
            if (Prime is not ("auto" or "forward" or "step")) return ValidationResult.Error($"--prime {Prime}: expected auto, forward or step.");
            if (Engine is not ("auto" or "cpu" or "cuda" or "torch")) return ValidationResult.Error($"--engine {Engine}: expected auto, cpu, cuda or torch.");
            if (Engine == "cuda" && Prime == "forward") return ValidationResult.Error("--prime forward: the parallel pass is torch's; the cuda engine steps a prompt on the GPU (--prime step or auto).");
            if (UsesTorchEngine && Prime == "step") return ValidationResult.Error("--prime step: the torch engine primes by a parallel forward; use --engine cpu to step the prompt.");
            double maxPrompt = ResolvedPrime == "forward" ? 10 : 600;
            if (!(PromptSeconds > 0 && PromptSeconds <= maxPrompt))
                return ValidationResult.Error($"--prompt-seconds {PromptSeconds}: must be in (0, {maxPrompt}] with --prime {ResolvedPrime}" +
                    (ResolvedPrime == "forward" ? " (the parallel pass holds every position's activations: about 0.5 GB per second of prompt for the base model; --prime step takes up to 600)." : "."));
            if (Takes is < 1 or > 64) return ValidationResult.Error($"--takes {Takes}: must be in 1..64.");
            if (!DeviceChoice.IsValid(Device)) return ValidationResult.Error($"--device {Device}: expected auto, cpu, cuda or cuda:N.");
            if (Threads is < 0 or > 1024) return ValidationResult.Error($"--threads {Threads}: must be in 0..1024 (0 = every core).");
            if (Block is < 64 or > 65536) return ValidationResult.Error($"--block {Block}: must be in 64..65536.");
            return ValidationResult.Success();
        }

        /// <summary>Whether the TorchSharp reference engine runs (and so libtorch loads).</summary>
        public bool UsesTorchEngine => Engine == "torch";

        /// <summary>--prime with auto resolved: step on the CPU engine (faster and constant memory, BENCHMARKS.md), forward on torch.</summary>
        public string ResolvedPrime => Prime != "auto" ? Prime : UsesTorchEngine ? "forward" : "step";

        public RenderRequest ToRequest(byte[]? prompt, int sampleRate) =>
            new(Seconds, new SamplingSettings(Temperature, TopP, Seed), Takes, prompt, Block, sampleRate);
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Chain is { } chain) return ChainRender.Run(chain, settings.Seconds, settings.Force, settings.Spectrogram, settings.Plugins, cancellationToken);
        string checkpointPath = ResolveCheckpoint(settings.Checkpoint);
        // every file it will write is checked first: a refusal costs nothing and touches nothing
        var outputs = RenderOutputs.For(settings.Out, settings.Takes, settings.Seed, settings.Spectrogram);
        outputs.Check(settings.Out, checkpointPath, settings.Force);
        // build: the checkpoint read by Core (no libtorch), then the engine; torch only when asked for
        var checkpoint = MambaCheckpoint.Load(checkpointPath);
        if (settings.Seconds * checkpoint.SampleRate < 1)
            throw new ArgumentException($"--seconds {settings.Seconds}: shorter than one sample at the model's {checkpoint.SampleRate} Hz; at least {1.0 / checkpoint.SampleRate:G4} s.");
        using var built = settings.UsesTorchEngine || settings.ResolvedPrime == "forward"
            ? TorchRendering.Build(checkpoint, checkpointPath, settings)
            : settings.Engine == "cuda" ? BuildCuda(checkpoint, settings) : BuildCpu(checkpoint, settings);
        var engine = built.Engine;
        int rate = checkpoint.SampleRate;
        byte[]? prompt = null;
        if (settings.Prompt is { } p)
        {
            var read = PromptAudio.ReadLast(p, settings.PromptSeconds, rate);
            foreach (var warning in read.Warnings) AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] --prompt {p}: {warning}");
            prompt = read.Classes;
        }
        var request = settings.ToRequest(prompt, rate).Validate();
        var outDirectory = Path.GetDirectoryName(Path.GetFullPath(settings.Out))!;
        Directory.CreateDirectory(outDirectory);

        var c = checkpoint.Config;
        AnsiConsole.MarkupLineInterpolated(
            $"[grey]model:[/] Mamba d_model {c.DModel} x {c.NLayer} layers ({c.ParameterCount:N0} parameters, {rate} Hz) from {checkpointPath}; [grey]engine:[/] {built.Name}");
        AnsiConsole.MarkupLine(
            $"[grey]render:[/] " + Markup.Escape($"{settings.Takes} take(s) of {settings.Seconds:0.###} s, temperature {settings.Temperature}, top-p {settings.TopP}, seed {settings.Seed}" +
            (prompt is null ? ", from silence" : $", continuing the last {prompt.Length / (double)rate:0.###} s of {settings.Prompt} (primed by {settings.ResolvedPrime})")));
        var renderer = new Renderer(engine, built.Primer);

        // run, Ctrl-C stopping between blocks
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // finish the block in flight; the files stay valid
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        RenderResult result;
        try
        {
            result = RenderWithProgress(renderer, Path.GetFullPath(settings.Out), request, settings.Force, stop.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        long peak = ProcessMemory.PeakBytes();
        var libraries = NativeLibraries.Loaded();

        // report
        if (result.Interrupted) AnsiConsole.MarkupLine("[yellow]stopped early: the files hold every block rendered.[/]");
        var table = new Table().AddColumns("result", "value");
        table.AddRow("duration", $"{result.Seconds:F2} s per take x {result.Takes.Count} at {result.SampleRate} Hz{(result.Interrupted ? " (interrupted)" : "")}");
        table.AddRow("wall time", $"{result.Elapsed:hh\\:mm\\:ss\\.f}");
        table.AddRow("real-time factor", $"{result.RealTimeFactor:F2}x (audio seconds per wall second, each take)");
        table.AddRow("log-likelihood", $"{result.Takes[0].LogLikelihoodPerSample:F4} nats/sample ({result.Takes[0].LogLikelihoodPerSample / Math.Log(2):F4} bits){(result.Takes.Count > 1 ? " (best take)" : "")}");
        table.AddRow("peak memory", $"{peak / 1048576.0:F0} MiB (VmHWM)");
        table.AddRow("engine", Markup.Escape(built.Name));
        table.AddRow("libtorch", NativeLibraries.HasLibtorch(libraries) ? "loaded" : "not loaded");
        AnsiConsole.Write(table);
        var takes = new Table().AddColumns("rank", "file", "seed", "log-likelihood / sample (nats)", "samples");
        foreach (var t in result.Takes)
            takes.AddRow($"{t.Rank}", Markup.Escape(t.Path), $"{t.Seed}", $"{t.LogLikelihoodPerSample:F4}", $"{t.Samples:N0}");
        AnsiConsole.Write(takes);

        if (settings.Spectrogram) SpectrogramImage.WriteBeside(result.Takes.Select(t => t.Path));   // the paths outputs.Spectrograms checked
        JsonReport.Write(outputs.Sidecar, new
        {
            Checkpoint = checkpointPath,
            Config = c,
            Engine = built.Name,
            settings.Seconds, settings.Temperature, settings.TopP, settings.Seed, settings.Prompt, Prime = settings.ResolvedPrime,
            PromptSamples = result.PromptSamples,
            result.SampleRate, result.SamplesPerTake, result.Interrupted,
            ElapsedSeconds = result.Elapsed.TotalSeconds,
            result.RealTimeFactor,
            PeakMemoryBytes = peak,
            LibtorchLoaded = NativeLibraries.HasLibtorch(libraries),
            NativeLibraries = libraries,
            Takes = result.Takes.Select(t => new { t.Rank, t.Path, t.Seed, t.LogLikelihood, t.LogLikelihoodPerSample, t.Samples, t.ClassesSha256 }),
        });
        return 0;
    }

    /// <summary>The CPU engine on the checkpoint's weights, priming by steps: Core alone.</summary>
    private static RenderEngine BuildCpu(LoadedCheckpoint checkpoint, Settings settings)
    {
        var engine = CpuEngine(checkpoint, settings, out string name);
        Startup.PrintCpu($"{name} engine");
        return new RenderEngine(engine, null, name, null);
    }

    /// <summary>The CUDA engine on the first NVIDIA GPU, priming by steps on the GPU: Core and ILGPU, no libtorch.</summary>
    private static RenderEngine BuildCuda(LoadedCheckpoint checkpoint, Settings settings)
    {
        var engine = Mamba.Core.Cuda.CudaStepEngine.OnGpu(new CpuWeights(checkpoint), settings.Takes);
        Startup.PrintCuda(engine.Device);
        return new RenderEngine(engine, null, $"cuda ({engine.Device})", null);
    }

    /// <summary>The CPU engine for the render's takes and threads, and its name for reports ("cpu (2 threads)").</summary>
    internal static CpuStepEngine CpuEngine(LoadedCheckpoint checkpoint, Settings settings, out string name)
    {
        var engine = new CpuStepEngine(new CpuWeights(checkpoint), settings.Takes, new CpuEngineOptions(settings.Threads));
        name = $"cpu ({engine.Threads} thread{(engine.Threads == 1 ? "" : "s")})";
        return engine;
    }

    /// <summary>Renders with a live progress bar on a terminal, and a line about every 2 seconds in logs.</summary>
    private static RenderResult RenderWithProgress(Renderer renderer, string output, RenderRequest request, bool replace, CancellationToken cancel)
    {
        static string Line(RenderProgress p) =>
            $"{p.SamplesDone / (double)p.SampleRate:F1} s of {p.SamplesTotal / (double)p.SampleRate:F1} s  RTF {p.RealTimeFactor:F2}x";
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            var last = Stopwatch.StartNew();
            return renderer.Render(output, request, p =>
            {
                if (last.Elapsed.TotalSeconds < 2 && p.SamplesDone < p.SamplesTotal) return;
                last.Restart();
                AnsiConsole.WriteLine($"{Line(p)}  ({p.SamplesDone / (double)p.SamplesTotal:P1})  elapsed {p.Elapsed:hh\\:mm\\:ss}  ETA {p.Remaining:hh\\:mm\\:ss}");
            }, cancel, replace);
        }
        RenderResult? result = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var bar = ctx.AddTask("render", maxValue: request.TotalSamples);
                result = renderer.Render(output, request, p =>
                {
                    bar.Value = p.SamplesDone;
                    bar.Description = Line(p);
                }, cancel, replace);
                bar.Value = bar.MaxValue;
            });
        return result!;
    }

    /// <summary>A checkpoint directory, or a train run directory (its best/); refuses the Transformer baseline.</summary>
    /// <summary>A checkpoint directory, or a run directory's best/; refuses the Transformer baseline, which only train and its own validation score.</summary>
    internal static string ResolveCheckpoint(string path, string verb = "render generates")
    {
        if (!File.Exists(Path.Combine(path, MambaConfigJson.FileName)) && File.Exists(Path.Combine(path, "best", MambaConfigJson.FileName)))
            path = Path.Combine(path, "best");
        if (TransformerCheckpoint.IsTransformerConfig(path))
            throw new ArgumentException($"--checkpoint {path}: holds the Transformer baseline; {verb} with a Mamba checkpoint.");
        return path;
    }
}
