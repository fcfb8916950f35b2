using System.ComponentModel;
using Mamba.Audio.Service;
using Mamba.Audio.Service.Batching;
using Mamba.Audio.Service.Metrics;
using Mamba.Audio.Service.Security;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Commands;

/// <summary>`mamba-audio serve`: generated streams for many clients over WebSocket, with the browser page (docs/SERVICE.md).</summary>
public sealed class ServeCommand : AsyncCommand<ServeCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <PATH>")][Description("A checkpoint to serve, as PATH or NAME=PATH (repeat for several; each has its own batch; the first is the default). Default: samples/models/digits-small.")]
        public string[] Models { get; init; } = [];

        [CommandOption("--address <IP>")][Description("Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface, which needs --token).")]
        public string Address { get; init; } = "127.0.0.1";

        [CommandOption("--port <N>")][Description("Port (default 8765; 0 = any free one, printed).")]
        public int Port { get; init; } = 8765;

        [CommandOption("--token <TOKEN>")][Description("An access token clients must present (repeat for several; default: $MAMBA_AUDIO_TOKEN). Each token has its own limits.")]
        public string[] Tokens { get; init; } = [];

        [CommandOption("--no-token")][Description("Let clients in without a token: loopback addresses only.")]
        public bool NoToken { get; init; }

        [CommandOption("--allow-origin <ORIGIN>")][Description("A web origin (https://host:port) whose pages may connect, besides the server's own page (repeatable).")]
        public string[] AllowOrigins { get; init; } = [];

        [CommandOption("--engine <ENGINE>")][Description("cpu (default) or cuda (the ILGPU engine on the first NVIDIA GPU).")]
        public string Engine { get; init; } = "cpu";

        [CommandOption("--threads <N>")][Description("CPU engine threads per model, 0 = every core (default 0).")]
        public int Threads { get; init; }

        [CommandOption("--slots <N>")][Description("Streams each model serves at once (default 64), or auto: as many as this machine was measured to keep in real time (a probe of a fraction of a second a model at start). One more is refused as busy.")]
        public string Slots { get; init; } = "64";

        /// <summary>The slots a model gets; null is auto.</summary>
        public int? SlotCount => Slots == "auto" ? null : int.Parse(Slots, System.Globalization.CultureInfo.InvariantCulture);

        [CommandOption("--chunk <N>")][Description("Samples a batch step generates per stream (default 128): the batch's granularity.")]
        public int Chunk { get; init; } = 128;

        [CommandOption("--lead-ms <MS>")][Description("How far audio is sent ahead of real time: the client's jitter buffer (default 250).")]
        public int LeadMs { get; init; } = 250;

        [CommandOption("--max-streams-per-token <N>")][Description("Concurrent streams one token may hold (default 64).")]
        public int MaxStreamsPerToken { get; init; } = 64;

        [CommandOption("--max-seconds-per-token <S>")][Description("Seconds of audio one token may stream over the server's life (default 604800).")]
        public double MaxSecondsPerToken { get; init; } = 7 * 24 * 3600;

        [CommandOption("--max-message-bytes <N>")][Description("Largest client message (default 1048576); prompts come in pieces below it.")]
        public int MaxMessageBytes { get; init; } = 1 << 20;

        [CommandOption("--max-prompt-seconds <S>")][Description("Longest prompt a stream may send (default 900).")]
        public double MaxPromptSeconds { get; init; } = 900;

        [CommandOption("--idle-seconds <S>")][Description("Close a connection that has not started a stream, or a stream paused, this long (default 60).")]
        public double IdleSeconds { get; init; } = 60;

        [CommandOption("--slow-reader-seconds <S>")][Description("Drop a client whose reading keeps its stream this far behind real time (default 5).")]
        public double SlowReaderSeconds { get; init; } = 5;

        [CommandOption("--seconds <S>")][Description("Stop serving after S seconds (default 0: until Ctrl-C).")]
        public double Seconds { get; init; }

        public override ValidationResult Validate()
        {
            if (Engine is not ("cpu" or "cuda")) return ValidationResult.Error($"--engine {Engine}: cpu or cuda.");
            if (Slots != "auto" && !(int.TryParse(Slots, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int slots) && slots is >= 1 and <= 65536))
                return ValidationResult.Error($"--slots {Slots}: a count in 1..65536, or auto.");
            if (Chunk is < 1 or > 4096) return ValidationResult.Error($"--chunk {Chunk}: 1..4096.");
            if (Threads is < 0 or > 1024) return ValidationResult.Error($"--threads {Threads}: 0..1024.");
            if (!(Seconds >= 0)) return ValidationResult.Error($"--seconds {Seconds}: 0 or more.");
            return ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var tokens = settings.Tokens.Length > 0 ? settings.Tokens
            : Environment.GetEnvironmentVariable("MAMBA_AUDIO_TOKEN") is { Length: > 0 } fromEnvironment ? [fromEnvironment] : [];
        var options = new ServiceOptions
        {
            Address = settings.Address, Port = settings.Port, Tokens = tokens, NoToken = settings.NoToken, AllowedOrigins = settings.AllowOrigins,
            MaxStreamsPerToken = settings.MaxStreamsPerToken, MaxSecondsPerToken = settings.MaxSecondsPerToken, MaxMessageBytes = settings.MaxMessageBytes,
            MaxPromptSeconds = settings.MaxPromptSeconds, IdleTimeout = TimeSpan.FromSeconds(settings.IdleSeconds), LeadMilliseconds = settings.LeadMs,
            SlowReaderSeconds = settings.SlowReaderSeconds,
        }.Validate();
        var models = (settings.Models.Length > 0 ? settings.Models : [BundledModel()]).Select(ModelSource.Parse).ToList();
        var metrics = new ServiceMetrics();
        AnsiConsole.MarkupLineInterpolated($"loading {models.Count} model(s) on the {settings.Engine} engine, {(settings.SlotCount is { } n ? $"{n} slots each" : "slots measured for each")}, measuring what each keeps in real time ...");
        var catalog = new ModelCatalog(models, settings.SlotCount, settings.Engine == "cuda" ? ServiceEngine.Cuda : ServiceEngine.Cpu, settings.Threads, metrics, settings.Chunk,
            measureCapacity: true);
        await using var service = await MambaService.StartAsync(options, catalog, metrics);
        foreach (var batch in catalog.Batches)
        {
            AnsiConsole.MarkupLineInterpolated($"  model [bold]{batch.Name}[/]: d_model {batch.Config.DModel} x {batch.Config.NLayer}, {batch.SampleRate} Hz, {batch.Slots} slots, chunk {batch.Chunk}");
            if (batch.Capacity is not { } c) continue;
            AnsiConsole.MarkupLineInterpolated(
                $"    keeps about [bold]{c.RealTimeStreams}[/] stream{(c.RealTimeStreams == 1 ? "" : "s")} in real time here (steps of {batch.Chunk} samples by streams: {c.Describe()}; {c.ChunkMilliseconds:0.0} ms of audio each, {c.Headroom:P0} of it allowed)");
            if (c.RealTimeStreams == 0)
                AnsiConsole.MarkupLineInterpolated(
                    $"    [yellow]warning:[/] not even one stream of this model keeps real time on this machine: every block will be late (counted as underruns). A faster engine (--engine cuda) or a smaller model would.");
            else if (batch.Slots > c.RealTimeStreams)
                AnsiConsole.MarkupLineInterpolated(
                    $"    [yellow]warning:[/] {batch.Slots} slots admit more streams than that: past about {c.RealTimeStreams} the batch has no margin left, and once its steps outlast their audio every stream of this model is late together (counted as underruns). --slots auto or --slots {c.RealTimeStreams} caps it.");
        }
        string page = settings.NoToken ? service.Url + "/" : $"{service.Url}/?token=<your token>";
        AnsiConsole.MarkupLineInterpolated($"serving on [bold]{service.Url}[/]: page {page}, streams ws://{settings.Address}:{service.Port}/ws, /health, /metrics. Ctrl-C stops.");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        if (settings.Seconds > 0) stop.CancelAfter(TimeSpan.FromSeconds(settings.Seconds));
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(10), stop.Token);
                foreach (var batch in catalog.Batches)
                    AnsiConsole.MarkupLineInterpolated(
                        $"{DateTime.Now:HH:mm:ss} {batch.Name}: {batch.StreamCount} streams{(batch.Capacity is { } c ? $" (keeps about {c.RealTimeStreams})" : "")}, {batch.GeneratedTotal:N0} samples, {service.OpenConnections} connections{(batch.Failure is { } f ? $", FAILED: {f}" : "")}");
                // Late blocks are what a listener hears as a gap: the count since start, for every model.
                AnsiConsole.MarkupLineInterpolated($"{DateTime.Now:HH:mm:ss} late blocks so far: {(long)metrics.LateBlocks.Value:N0} of {(long)metrics.SentBlocks.Value:N0} sent");
            }
        }
        catch (OperationCanceledException) { }
        AnsiConsole.MarkupLine("stopping: open streams are closed.");
        return 0;
    }

    private static string BundledModel()
    {
        var repo = Environment.GetEnvironmentVariable("MAMBA_AUDIO_REPO") is { Length: > 0 } r ? r : Directory.GetCurrentDirectory();
        var path = Path.Combine(repo, "samples", "models", "digits-small");
        if (!Directory.Exists(path)) throw new ArgumentException($"no --model given and the bundled {path} is not here; give --model PATH (a checkpoint folder).");
        return path;
    }
}
