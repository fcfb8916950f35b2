using System.ComponentModel;
using Mamba.Audio.Files;
using Mamba.Audio.Service.Client;
using Mamba.Audio.Service.Protocol;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Commands;

/// <summary>`mamba-audio listen ws://...`: a remote stream to the sound card, or exactly as received into a WAV file.</summary>
public sealed class ListenCommand : AsyncCommand<ListenCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<URL>")][Description("The service's stream endpoint, ws://host:port/ws (the path may be left off).")]
        public string Url { get; init; } = "";

        [CommandOption("--token <TOKEN>")][Description("Access token (default: $MAMBA_AUDIO_TOKEN).")]
        public string? Token { get; init; }

        [CommandOption("--out <FILE>")][Description("Write the stream to this WAV file (16-bit, as received) instead of playing it.")]
        public string? Out { get; init; }

        [CommandOption("--force")][Description("Let --out replace an existing file.")]
        public bool Force { get; init; }

        [CommandOption("--model <NAME>")][Description("Which of the server's models (default: its first).")]
        public string? Model { get; init; }

        [CommandOption("--seconds <S>")][Description("How much audio to ask for (default 10; 0 = until Ctrl-C).")]
        public double Seconds { get; init; } = 10;

        [CommandOption("--seed <N>")][Description("Seed: the same seed gives what render gives for it (default: the server draws one).")]
        public ulong? Seed { get; init; }

        [CommandOption("--temperature <T>")][Description("Sampling temperature, 0 = greedy (default 1).")]
        public float Temperature { get; init; } = 1f;

        [CommandOption("--top-p <P>")][Description("Nucleus sampling mass in (0, 1]] (default 1).")]
        public float TopP { get; init; } = 1f;

        [CommandOption("--rate <HZ>")][Description("Sample rate to ask for (default: the model's for --out, 48000 when playing); the server resamples.")]
        public int? Rate { get; init; }

        public override ValidationResult Validate()
        {
            if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss"))
                return ValidationResult.Error($"'{Url}' is not a ws:// address such as ws://127.0.0.1:8765/ws.");
            if (!(Seconds >= 0 && Seconds <= ClientMessageReader.MaxSeconds)) return ValidationResult.Error($"--seconds {Seconds}: 0..{ClientMessageReader.MaxSeconds}.");
            if (Rate is { } r && (r < ClientMessageReader.MinRate || r > ClientMessageReader.MaxRate)) return ValidationResult.Error($"--rate {r}: {ClientMessageReader.MinRate}..{ClientMessageReader.MaxRate}.");
            return ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string? token = settings.Token ?? (Environment.GetEnvironmentVariable("MAMBA_AUDIO_TOKEN") is { Length: > 0 } t ? t : null);
        double? seconds = settings.Seconds > 0 ? settings.Seconds : null;
        var uri = new Uri(settings.Url);
        if (settings.Out is null)
        {
            var request = new RemoteRequest(uri, token, settings.Model, settings.Temperature, settings.TopP, settings.Seed, seconds);
            return PlayCommand.PlayRemote(request, settings.Rate ?? 48000, settings.Seconds, cancellationToken);
        }
        if (File.Exists(settings.Out) && !settings.Force) throw new IOException($"{settings.Out} exists; --force replaces it.");
        await using var client = await StreamClient.ConnectOrExplainAsync(uri, token, cancellationToken);
        await client.StartAsync(new StartMessage(ProtocolInfo.Version, settings.Model, settings.Temperature, settings.TopP, settings.Seed,
            settings.Rate, 1024, AudioEncoding.Pcm16, seconds), cancellationToken);
        Pcm16WavWriter? wav = null;
        var samples = new float[ClientMessageReader.MaxBlock];
        long received = 0, late = 0;
        int rate = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        try
        {
            while (await client.ReceiveAsync(stop.Token) is { } message)
            {
                switch (message)
                {
                    case StartedMessage started:
                        rate = started.Info.SampleRate;
                        wav = new Pcm16WavWriter(settings.Out, rate);
                        AnsiConsole.MarkupLineInterpolated($"stream {started.Info.Stream}: model {started.Info.Model}, seed {started.Info.Seed}, {rate} Hz, lead {started.Info.LeadMilliseconds} ms -> {settings.Out}");
                        break;
                    case AudioMessage audio:
                        int n = audio.Data.Length / 2;
                        Pcm16WavWriter.FromPcm16(audio.Data, samples);
                        wav!.Write(samples.AsSpan(0, n));
                        received += n;
                        break;
                    case StatsMessage stats:
                        late = stats.Stats.LateBlocks;
                        AnsiConsole.MarkupLineInterpolated($"{received / (double)Math.Max(1, rate),7:0.0} s received, server lead {stats.Stats.LeadMilliseconds:0} ms, generation {stats.Stats.RealTimeFactor:0.00}x real time, late blocks {late}");
                        break;
                    case ErrorMessage error:
                        throw new IOException($"the server ended the stream ({error.Code}): {error.Message.TrimEnd('.')}" +
                            (wav is null ? "." : $"; the {received:N0} samples received are in {settings.Out}."));
                    case StoppedMessage stopped:
                        AnsiConsole.MarkupLineInterpolated($"stopped ({stopped.Reason}) after {stopped.Blocks} blocks");
                        break;
                }
            }
        }
        catch (OperationCanceledException) { }
        finally { wav?.Dispose(); }
        AnsiConsole.MarkupLineInterpolated($"wrote {received:N0} samples ({received / (double)Math.Max(1, rate):0.00} s) to {settings.Out}; late blocks at the server: {late}");
        return 0;
    }
}
