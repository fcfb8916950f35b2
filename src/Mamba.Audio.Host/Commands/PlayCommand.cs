using System.ComponentModel;
using System.Diagnostics;
using Mamba.Audio.Chains;
using Mamba.Audio.Host.Terminal;
using Mamba.Audio.Plugins;
using Mamba.Audio.Service.Client;
using Mamba.Audio.Streaming;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Commands;

/// <summary>`mamba-audio play --chain "..."`: a chain live to the sound card (and any other sinks), with live parameters.</summary>
public sealed class PlayCommand : Command<PlayCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--chain <CHAIN>")][Description("generator | effect | ... | sink + sink, e.g. \"mamba checkpoint=samples/models/digits-small | lowpass hz=3000 | pulse + wav path=take.wav\" (README, 'Chains'; `mamba-audio plugins` lists the plugins). Without a sink stage, the sound card. A value ending in .json names a JSON chain file instead.")]
        public string Chain { get; init; } = "";

        [CommandOption("--seconds <S>")][Description("How long to play (default 0: until Ctrl-C or the end of a file).")]
        public double Seconds { get; init; }

        [CommandOption("--rate <HZ>")][Description("Sample rate of a chain whose generator has none of its own (a Mamba model runs at its training rate); default 48000.")]
        public int Rate { get; init; } = 48000;

        [CommandOption("--block-ms <MS>")][Description("Block length through the chain and to the device (default 10).")]
        public double BlockMs { get; init; } = 10;

        [CommandOption("--buffer-ms <MS>")][Description("How far the generator may run ahead of the device: the ring between them (default 100). Larger absorbs stalls, smaller lowers latency.")]
        public double BufferMs { get; init; } = 100;

        [CommandOption("--device-ms <MS>")][Description("The sound server's own buffer (default 20).")]
        public double DeviceMs { get; init; } = 20;

        [CommandOption("--prebuffer-ms <MS>")][Description("Audio generated before the device starts (default: the whole --buffer-ms).")]
        public double? PrebufferMs { get; init; }

        [CommandOption("--plugins <DIR>")][Description("A folder of managed plugin assemblies to load as well (default: $MAMBA_AUDIO_PLUGINS, if set). A broken one is reported and skipped.")]
        public string? Plugins { get; init; }

        [CommandOption("--force")][Description("Let wav sinks replace existing files.")]
        public bool Force { get; init; }

        [CommandOption("--spectrogram")][Description("When it ends, draw each wav sink's spectrogram as NAME.spectrogram.png.")]
        public bool Spectrogram { get; init; }

        [CommandOption("--json <PATH>")][Description("Also write the final figures (underruns, latency, longest block) as JSON.")]
        public string? Json { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Chain)) return ValidationResult.Error("--chain is required, e.g. --chain \"tone hz=440\".");
            if (!(Seconds >= 0 && Seconds <= 86400 * 7)) return ValidationResult.Error($"--seconds {Seconds}: must be in 0..604800 (0 = until stopped).");
            if (Rate is < 1000 or > 384000) return ValidationResult.Error($"--rate {Rate}: must be in 1000..384000 Hz.");
            if (!(BlockMs >= 1 && BlockMs <= 500)) return ValidationResult.Error($"--block-ms {BlockMs}: must be in 1..500.");
            if (!(BufferMs >= BlockMs && BufferMs <= 60000)) return ValidationResult.Error($"--buffer-ms {BufferMs}: must be in --block-ms ({BlockMs})..60000.");
            if (!(DeviceMs >= 1 && DeviceMs <= 10000)) return ValidationResult.Error($"--device-ms {DeviceMs}: must be in 1..10000.");
            if (PrebufferMs is { } p && !(p >= BlockMs && p <= BufferMs)) return ValidationResult.Error($"--prebuffer-ms {p}: must be in --block-ms..--buffer-ms ({BlockMs}..{BufferMs}).");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        Run(ChainFile.Parse(settings.Chain), settings, cancellationToken);

    private int Run(ChainText text, Settings settings, CancellationToken cancellationToken)
    {
        // build and prepare everything before audio starts: a model loads here, never on the audio path
        if (text.Sinks.Count == 0) text = text with { Sinks = [new StageText(SoundCardSink.DefaultName, new Dictionary<string, string>())] };
        using var chain = Chain.Build(text, ChainCatalog.Create(settings.Plugins), new ChainContext(settings.Force, settings.Rate));
        var cards = chain.Sinks.OfType<SoundCardSink>().ToList();
        var recordings = chain.Sinks.OfType<Mamba.Audio.Plugins.BuiltIn.WavFileSink>().Select(w => w.Path).ToList();
        if (settings.Spectrogram)
        {
            if (recordings.Count == 0) throw new ArgumentException("--spectrogram draws what a wav sink records; this chain has none (add + wav path=take.wav).");
            SpectrogramImage.RefuseExisting(recordings, settings.Force);
        }
        if (cards.Count > 1) throw new ArgumentException($"--chain: play sends to one sound card; this chain names {cards.Count} ({string.Join(", ", cards.Select(c => c.Name))}).");
        int rate = chain.SampleRate;
        int block = Math.Max(16, (int)Math.Round(settings.BlockMs * rate / 1000));
        var stream = new StreamSettings(block, Samples(settings.BufferMs, rate, block), Samples(settings.PrebufferMs ?? settings.BufferMs, rate, block));
        chain.Prepare(new StreamFormat(rate, block));
        // Without a sound-card sink a capture paces the chain itself; any other generator is paced by a real-time clock.
        using AudioOutput? output = cards.Count == 1
            ? cards[0].Open(rate, block, Samples(settings.DeviceMs, rate, block))
            : chain.Source is CaptureGenerator ? null : new ClockOutput(rate);
        AnsiConsole.MarkupLineInterpolated($"[grey]chain:[/] {string.Join(" | ", chain.Plugins.Select(p => p.Name))} at {rate} Hz, blocks of {block} samples ({1000.0 * block / rate:0.#} ms)");
        AnsiConsole.MarkupLineInterpolated($"[grey]output:[/] {output?.Description ?? "none: the sinks record what the capture delivers"}");
        if (chain.Source is CaptureGenerator capture) AnsiConsole.MarkupLineInterpolated($"[grey]input:[/] {capture.Description}");

        long total = settings.Seconds > 0 ? (long)Math.Round(settings.Seconds * rate) : long.MaxValue;
        using var host = new StreamingHost(chain, output, stream);
        host.Start(total);
        double rtf = host.RealTimeFactor;
        string speed = double.IsNaN(rtf) ? "speed measured while playing (the pre-buffer is one block)"
            : rtf >= 1 ? $"{rtf:F2}x real time while pre-buffering: keeps up"
            : $"{rtf:F2}x real time while pre-buffering: too slow to play live; expect underruns after the {stream.PrebufferSamples / (double)rate:0.##} s pre-buffer (a larger --buffer-ms and --prebuffer-ms delay them)";
        AnsiConsole.MarkupLineInterpolated($"[grey]generator:[/] {speed}");
        if (output is not null)
            AnsiConsole.MarkupLineInterpolated($"[grey]latency:[/] {host.LatencySamples} samples ({1000.0 * host.LatencySamples / rate:0.#} ms: ring {stream.BufferSamples}, device buffer {output.TargetLatencySamples}, effects {chain.LatencySamples})");
        AnsiConsole.MarkupLine("[grey]type[/] STAGE KEY=VALUE [grey](e.g. 'gain db=-6'), 'show', or Ctrl-C to stop[/]");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); host.Stop(); };
        Console.CancelKeyPress += onCancel;
        var control = new LiveControl(chain);
        var commands = new Thread(() => ReadCommands(control, host)) { IsBackground = true, Name = "mamba-audio commands" };
        commands.Start();
        var clock = Stopwatch.StartNew();
        long deviceLatency = 0;   // the largest the device reported while playing
        try
        {
            while (!host.Finished && !stop.IsCancellationRequested)
            {
                Thread.Sleep(200);
                deviceLatency = Math.Max(deviceLatency, output?.LatencySamples ?? 0);
                if (clock.Elapsed.TotalSeconds >= 2 || host.Finished)
                {
                    clock.Restart();
                    AnsiConsole.WriteLine($"played {host.PlayedSamples / (double)rate,8:F1} s  buffer {100.0 * host.BufferedSamples / host.BufferCapacity,3:F0}%  underruns {host.UnderrunBlocks}  generator {Speed(host.RealTimeFactor)}  longest block {host.LongestBlock.TotalMilliseconds:F1} ms");
                }
            }
            host.Stop();
            host.Wait();
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }

        if (settings.Spectrogram) SpectrogramImage.WriteBeside(recordings);
        var table = new Table().AddColumns("result", "value");
        table.AddRow("played", $"{host.PlayedSamples / (double)rate:F2} s ({host.PlayedSamples:N0} samples at {rate} Hz)");
        table.AddRow("underruns", $"{host.UnderrunBlocks} blocks, {host.UnderrunSamples:N0} samples of silence");
        long latency = host.LatencyFor(deviceLatency);
        table.AddRow("latency", $"{latency} samples ({1000.0 * latency / rate:0.#} ms: ring {stream.BufferSamples}, device up to {deviceLatency} reported, effects {chain.LatencySamples})");
        table.AddRow("longest block in the chain", $"{host.LongestBlock.TotalMilliseconds:F2} ms (a block lasts {1000.0 * block / rate:0.##} ms)");
        table.AddRow("generator speed", $"{Speed(host.RealTimeFactor)} (audio per second of the chain's work, first block left out)");
        if (output is AlsaOutput alsa) table.AddRow("device underruns (ALSA xruns, recovered)", $"{alsa.DeviceUnderruns}");
        if (chain.Source is CaptureGenerator { Backend: SoundCardBackend.Alsa } alsaCapture) table.AddRow("capture overruns (ALSA, recovered)", $"{alsaCapture.Overruns}");
        if (chain.Source is RemoteGenerator remote)
        {
            table.AddRow("network underruns (remote)", $"{remote.UnderrunSamples:N0} samples of silence where the stream had not arrived; late blocks at the server {remote.LateBlocksAtServer}");
            if (remote.ServerError is { } serverError) table.AddRow("the server ended the stream", Markup.Escape(serverError));
        }
        if (chain.Source is CaptureGenerator { Backend: SoundCardBackend.Wasapi } wasapiCapture) table.AddRow("capture discontinuities (WASAPI packets)", $"{wasapiCapture.Overruns}");
        var allocations = host.DeviceThreadAllocations;
        table.AddRow("device thread allocations", allocations is not { } a ? "not measured (too short)"
            : $"{a.AllocatedBytes} bytes in {a.AllocatingBlocks} of {a.Blocks} blocks" + (a.BlocksWithACollection > 0 ? $" ({a.BlocksWithACollection} blocks during a GC not judged)" : ""));
        AnsiConsole.Write(table);
        if (settings.Json is { } json)
            JsonReport.Write(json, new
            {
                Chain = settings.Chain, SampleRate = rate, BlockSamples = block, stream.BufferSamples, stream.PrebufferSamples,
                host.PlayedSamples, host.GeneratedSamples, host.UnderrunBlocks, host.UnderrunSamples, LatencySamples = latency,
                LatencyMs = 1000.0 * latency / rate, DeviceLatencySamplesMax = deviceLatency, LongestBlockMs = host.LongestBlock.TotalMilliseconds,
                host.RealTimeFactor, DeviceThreadAllocatedBytes = allocations?.AllocatedBytes ?? -1, DeviceThreadAllocatingBlocks = allocations?.AllocatingBlocks ?? -1,
                DeviceThreadBlocksWithACollection = allocations?.BlocksWithACollection ?? -1, Machine = MachineInfo.Describe(),
            });
        return 0;
    }

    /// <summary>`listen` without --out: the remote stream through play's own path (ring, device, status line, figures).</summary>
    public static int PlayRemote(RemoteRequest request, int rate, double seconds, CancellationToken cancel)
    {
        var settings = new Dictionary<string, string>
        {
            ["url"] = request.Uri.ToString(), ["temperature"] = request.Temperature.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["top_p"] = request.TopP.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (request.Token is { } token) settings["token"] = token;
        if (request.Model is { } model) settings["model"] = model;
        if (request.Seed is { } seed) settings["seed"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (request.Seconds is { } s) settings["seconds"] = s.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var text = new ChainText(new StageText("remote", settings), [], []);
        return new PlayCommand().Run(text, new Settings { Chain = "remote", Seconds = seconds, Rate = rate }, cancel);
    }

    private static string Speed(double realTimeFactor) => double.IsNaN(realTimeFactor) ? "paced by its input" : $"{realTimeFactor:F2}x real time";

    private static int Samples(double ms, int rate, int block) => Math.Max(block, (int)Math.Round(ms * rate / 1000));

    /// <summary>Typed commands from the terminal (or a pipe) change parameters while audio plays.</summary>
    private static void ReadCommands(LiveControl control, StreamingHost host)
    {
        while (!host.Finished && Console.In.ReadLine() is { } line)
        {
            if (line.Trim().Length == 0) continue;
            try
            {
                if (line.Trim() == "show") foreach (var l in control.Describe()) AnsiConsole.WriteLine(l);
                else AnsiConsole.MarkupLineInterpolated($"[green]set[/] {control.Apply(line)}");
            }
            catch (ArgumentException e)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]not changed:[/] {e.Message}");
            }
        }
    }
}
