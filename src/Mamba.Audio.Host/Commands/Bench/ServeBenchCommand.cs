using System.ComponentModel;
using System.Diagnostics;
using Mamba.Audio.Host.Terminal;
using Mamba.Audio.Service;
using Mamba.Audio.Service.Batching;
using Mamba.Audio.Service.Client;
using Mamba.Audio.Service.Metrics;
using Mamba.Audio.Service.Protocol;
using Mamba.Audio.Service.Security;
using Mamba.Core.Checkpoints;
using Mamba.Core.Cuda;
using Mamba.Core.Engines;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Model;
using Mamba.Core.Sampling;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Commands.Bench;

/// <summary>
/// `mamba-audio bench serve`: the service on loopback under N concurrent real-time clients (first-block
/// latency, inter-block intervals, late blocks, memory per stream), connections per second, and the
/// batch step against stepping the same streams one by one.
/// </summary>
public sealed class ServeBenchCommand : AsyncCommand<ServeBenchCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--checkpoint <DIR>")][Description("Model to serve (default samples/models/digits-small); --preset measures random weights instead.")]
        public string? Checkpoint { get; init; }

        [CommandOption("--preset <NAME>")][Description("tiny, small or base with random weights at 16 kHz (cost the same as trained ones).")]
        public string? Preset { get; init; }

        [CommandOption("--streams <LIST>")][Description("Concurrent clients per run (default 1,8,16,24,32).")]
        public string Streams { get; init; } = "1,8,16,24,32";

        [CommandOption("--seconds <S>")][Description("Audio each client asks for (default 10).")]
        public double Seconds { get; init; } = 10;

        [CommandOption("--engine <ENGINE>")][Description("cpu (default) or cuda.")]
        public string Engine { get; init; } = "cpu";

        [CommandOption("--threads <N>")][Description("CPU engine threads, 0 = every core (default 0).")]
        public int Threads { get; init; }

        [CommandOption("--block <N>")][Description("Samples per audio message (default 1024: 64 ms at 16 kHz).")]
        public int Block { get; init; } = 1024;

        [CommandOption("--json <PATH>")][Description("Where to write the JSON result (default artifacts/bench/serve.json).")]
        public string Json { get; init; } = "artifacts/bench/serve.json";

        public override ValidationResult Validate()
        {
            if (!(Seconds >= 1 && Seconds <= 3600)) return ValidationResult.Error($"--seconds {Seconds}: 1..3600.");
            if (Engine is not ("cpu" or "cuda")) return ValidationResult.Error($"--engine {Engine}: cpu or cuda.");
            if (Preset is not (null or "tiny" or "small" or "base")) return ValidationResult.Error($"--preset {Preset}: tiny, small or base.");
            if (!GenerateCommand.Settings.TryInts(Streams, 1, 65536, out _)) return ValidationResult.Error($"--streams {Streams}: expected a comma-separated list of counts in 1..65536.");
            if (Block is < ClientMessageReader.MinBlock or > ClientMessageReader.MaxBlock) return ValidationResult.Error($"--block {Block}: {ClientMessageReader.MinBlock}..{ClientMessageReader.MaxBlock}.");
            if (Threads is < 0 or > 1024) return ValidationResult.Error($"--threads {Threads}: 0..1024.");
            return ValidationResult.Success();
        }
    }

    public sealed record LoadRow(int Streams, double FirstBlockP50Ms, double FirstBlockP95Ms, double InterBlockP50Ms, double InterBlockP95Ms,
        double InterBlockP99Ms, double InterBlockMaxMs, long LateBlocks, long Blocks, bool Complete, double MemoryPerStreamMiB, double StepMsMean,
        double StreamsPerStepMean, double EngineBusy);
    public sealed record BatchRow(int Streams, double BatchedSamplesPerSecond, double OneByOneSamplesPerSecond, double Speedup, double RealTimeStreams);

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        GenerateCommand.Settings.TryInts(settings.Streams, 1, 65536, out var counts);
        var (weights, rate, name) = Model(settings);
        int slots = counts.Max();
        AnsiConsole.MarkupLineInterpolated($"model {name}: d_model {weights.Config.DModel} x {weights.Config.NLayer}, {rate} Hz, engine {settings.Engine}, {Environment.ProcessorCount} cores; clients run in this process on the same cores");

        var batchRows = counts.Select(n => MeasureBatching(weights, n, settings, rate)).ToList();
        var batchTable = new Table().AddColumns("streams", "batched samples/s", "one by one samples/s", "batching gain", "real-time streams (batched)");
        foreach (var r in batchRows) batchTable.AddRow($"{r.Streams}", $"{r.BatchedSamplesPerSecond:N0}", $"{r.OneByOneSamplesPerSecond:N0}", $"{r.Speedup:F2}x", $"{r.RealTimeStreams:F1}");
        AnsiConsole.Write(batchTable);

        var loadRows = new List<LoadRow>();
        foreach (int n in counts) loadRows.Add(await MeasureLoad(weights, rate, n, slots, settings, cancellationToken));
        var table = new Table().AddColumns("streams", "first block p50/p95", "inter-block p50/p95/p99/max", "late blocks", "complete", "memory/stream", "step mean", "streams a step", "engine busy");
        foreach (var r in loadRows)
            table.AddRow($"{r.Streams}", $"{r.FirstBlockP50Ms:F0} / {r.FirstBlockP95Ms:F0} ms", $"{r.InterBlockP50Ms:F0} / {r.InterBlockP95Ms:F0} / {r.InterBlockP99Ms:F0} / {r.InterBlockMaxMs:F0} ms",
                $"{r.LateBlocks} of {r.Blocks}", r.Complete ? "yes" : "NO", $"{r.MemoryPerStreamMiB:F2} MiB", $"{r.StepMsMean:F2} ms",
                $"{r.StreamsPerStepMean:F1}", $"{r.EngineBusy:P0}");
        table.Caption("step mean: one batch step (every stream with room advances a chunk); streams a step: how many it advanced, on average; " +
                      "engine busy: the share of the run's wall time the batch spent in its steps (the rest is free for the sessions and clients)");
        AnsiConsole.Write(table);
        double connections = await MeasureConnections(weights, rate, cancellationToken);
        AnsiConsole.MarkupLineInterpolated($"connections per second (upgrade, start, first block, close; 8 at a time): {connections:F0}");
        int sustained = loadRows.Where(r => r.LateBlocks == 0 && r.Complete).Select(r => r.Streams).DefaultIfEmpty(0).Max();
        AnsiConsole.MarkupLineInterpolated($"most concurrent real-time streams with zero late blocks: {sustained}");
        JsonReport.Write(settings.Json, new
        {
            Machine = MachineInfo.Describe(), Date = DateTime.UtcNow, Model = name, weights.Config.DModel, weights.Config.NLayer, SampleRate = rate, settings.Engine,
            settings.Seconds, settings.Block, Batching = batchRows, Load = loadRows, ConnectionsPerSecond = connections, SustainedStreams = sustained,
        });
        AnsiConsole.MarkupLineInterpolated($"wrote {settings.Json}");
        return 0;
    }

    private static (CpuWeights, int, string) Model(Settings settings)
    {
        if (settings.Preset is { } preset) return (CpuWeights.Random(MambaPresets.All[preset], 1), 16000, preset + " (random weights)");
        var path = settings.Checkpoint ?? Path.Combine(Environment.GetEnvironmentVariable("MAMBA_AUDIO_REPO") ?? ".", "samples", "models", "digits-small");
        var checkpoint = MambaCheckpoint.Load(path);
        return (new CpuWeights(checkpoint), checkpoint.SampleRate, Path.GetFileName(Path.TrimEndingDirectorySeparator(path)));
    }

    private static IStepEngine Engine(CpuWeights weights, int slots, Settings settings) => settings.Engine == "cuda"
        ? new CudaStepEngine(weights, slots, CudaAccelerators.Cuda())
        : new CpuStepEngine(weights, slots, new CpuEngineOptions(settings.Threads));

    /// <summary>The batch's step for N streams against N steps of one stream each (the others held): the same samples, the cost of not batching.</summary>
    private static BatchRow MeasureBatching(CpuWeights weights, int n, Settings settings, int rate)
    {
        const int chunk = 128;
        using var engine = Engine(weights, n, settings);
        var slots = Enumerable.Range(0, n).Select(i => engine.Open(SamplingSettings.Default((ulong)i))).ToArray();
        var output = new byte[n * chunk];
        engine.Generate(chunk, output);
        double Time(Action round, long samplesPerRound)
        {
            var clock = Stopwatch.StartNew();
            long samples = 0;
            while (clock.Elapsed.TotalSeconds < 1) { round(); samples += samplesPerRound; }
            return samples / clock.Elapsed.TotalSeconds;
        }
        double batched = Time(() => engine.Generate(chunk, output), (long)n * chunk);
        double single = Time(() =>
        {
            foreach (int s in slots) engine.SetHeld(s, true);
            foreach (int s in slots)
            {
                engine.SetHeld(s, false);
                engine.Generate(chunk, output);
                engine.SetHeld(s, true);
            }
            foreach (int s in slots) engine.SetHeld(s, false);
        }, (long)n * chunk);
        return new BatchRow(n, batched, single, batched / single, batched / rate);
    }

    private const string Token = "bench-token-0123456789";

    /// <summary>A service on a free loopback port serving <paramref name="weights"/> as model "bench".</summary>
    private static Task<MambaService> StartService(CpuWeights weights, int rate, int slots, ServiceEngine engine, int threads)
    {
        var metrics = new ServiceMetrics();
        var catalog = new ModelCatalog([new ModelSource("bench", null, weights, rate)], slots, engine, threads, metrics);
        return MambaService.StartAsync(new ServiceOptions { Port = 0, Tokens = [Token], MaxStreamsPerToken = Math.Max(slots, 64) }, catalog, metrics);
    }

    private static Uri StreamUri(MambaService service) => new($"ws://127.0.0.1:{service.Port}{ProtocolInfo.Path}");

    private static async Task<LoadRow> MeasureLoad(CpuWeights weights, int rate, int n, int slots, Settings settings, CancellationToken cancel)
    {
        await using var service = await StartService(weights, rate, slots, settings.Engine == "cuda" ? ServiceEngine.Cuda : ServiceEngine.Cpu, settings.Threads);
        var metrics = service.Metrics;
        var uri = StreamUri(service);
        GC.Collect();
        long before = Process.GetCurrentProcess().WorkingSet64;
        long peak = before;
        var sampler = Task.Run(async () =>
        {
            while (!cancel.IsCancellationRequested && service.Models.Find(null)!.StreamCount < n) await Task.Delay(20, cancel);
            for (int i = 0; i < 10 && service.Models.Find(null)!.StreamCount > 0; i++)
            {
                peak = Math.Max(peak, Process.GetCurrentProcess().WorkingSet64);
                await Task.Delay(200, cancel);
            }
        }, cancel);
        var wall = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, n).Select(async i =>
        {
            await using var client = await StreamClient.ConnectAsync(uri, Token, cancel);
            var clock = Stopwatch.StartNew();
            await client.StartAsync(new StartMessage(ProtocolInfo.Version, null, 1f, 1f, (ulong)i, null, settings.Block, AudioEncoding.MuLaw, settings.Seconds), cancel);
            var arrivals = new List<double>();
            long bytes = 0;
            while (await client.ReceiveAsync(cancel) is { } message)
                if (message is AudioMessage audio) { arrivals.Add(clock.Elapsed.TotalMilliseconds); bytes += audio.Data.Length; }
            return (arrivals, complete: bytes == (long)Math.Round(settings.Seconds * rate));
        }).ToArray();
        var results = await Task.WhenAll(clients);
        double wallSeconds = wall.Elapsed.TotalSeconds;
        await sampler;
        var first = results.Where(r => r.arrivals.Count > 0).Select(r => r.arrivals[0]).Order().ToArray();
        // Inter-block intervals once the lead is sent (the first lead's worth comes in a burst by design).
        int burst = (int)Math.Ceiling(service.Options.LeadMilliseconds / 1000.0 * rate / settings.Block) + 1;
        var gaps = results.SelectMany(r => r.arrivals.Skip(burst).Zip(r.arrivals.Skip(burst + 1), (a, b) => b - a)).Order().ToArray();
        var steps = metrics.StepSeconds.WithLabels("bench");
        var stepStreams = metrics.StepStreams.WithLabels("bench");
        double Q(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
        return new LoadRow(n, Q(first, 0.5), Q(first, 0.95), Q(gaps, 0.5), Q(gaps, 0.95), Q(gaps, 0.99), gaps.Length > 0 ? gaps[^1] : double.NaN,
            (long)metrics.LateBlocks.Value, (long)metrics.SentBlocks.Value, results.All(r => r.complete),
            (peak - before) / (1024.0 * 1024.0) / n, steps.Count > 0 ? steps.Sum / steps.Count * 1000 : double.NaN,
            stepStreams.Count > 0 ? stepStreams.Sum / stepStreams.Count : double.NaN, steps.Sum / wallSeconds);
    }

    private static async Task<double> MeasureConnections(CpuWeights weights, int rate, CancellationToken cancel)
    {
        await using var service = await StartService(weights, rate, 16, ServiceEngine.Cpu, 0);
        var uri = StreamUri(service);
        var clock = Stopwatch.StartNew();
        long done = 0;
        var workers = Enumerable.Range(0, 8).Select(async w =>
        {
            while (clock.Elapsed.TotalSeconds < 3)
            {
                await using var client = await StreamClient.ConnectAsync(uri, Token, cancel);
                await client.StartAsync(new StartMessage(ProtocolInfo.Version, null, 1f, 1f, 1, null, 256, AudioEncoding.MuLaw, 256.0 / rate), cancel);
                while (await client.ReceiveAsync(cancel) is { } message && message is not AudioMessage) { }
                Interlocked.Increment(ref done);
            }
        });
        await Task.WhenAll(workers);
        return done / clock.Elapsed.TotalSeconds;
    }
}
