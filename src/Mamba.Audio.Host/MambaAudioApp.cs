using Mamba.Audio.Host.Commands;
using Mamba.Audio.Host.Commands.Bench;
using Mamba.Audio.Host.Terminal;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host;

/// <summary>The `mamba-audio` command tree; one file per command under Commands/.</summary>
public static class MambaAudioApp
{
    /// <summary>Runs a command line; returns 0 on success, 2 for errors the user can act on.</summary>
    public static int Run(string[] args) => CommandRunner.Run(() =>
    {
        // Into a log or a pipe, Spectre would wrap every line at 80 columns: an error message split
        // over lines cannot be grepped. Lines stay whole there; a terminal keeps its own width.
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 4096;
        OptionCheck.Check(args, Commands);
        return Create().Run(args);
    });

    /// <summary>Each command's settings type, for <see cref="OptionCheck"/>.</summary>
    public static readonly IReadOnlyDictionary<string, Type> Commands = new Dictionary<string, Type>
    {
        ["prepare"] = typeof(PrepareCommand.Settings),
        ["train"] = typeof(TrainCommand.Settings),
        ["render"] = typeof(RenderCommand.Settings),
        ["evaluate"] = typeof(EvaluateCommand.Settings),
        ["play"] = typeof(PlayCommand.Settings),
        ["plugins"] = typeof(PluginsCommand.Settings),
        ["devices"] = typeof(DevicesCommand.Settings),
        ["serve"] = typeof(ServeCommand.Settings),
        ["listen"] = typeof(ListenCommand.Settings),
        ["bench selective-copy"] = typeof(SelectiveCopyCommand.Settings),
        ["bench induction-heads"] = typeof(InductionHeadsCommand.Settings),
        ["bench scan"] = typeof(ScanCommand.Settings),
        ["bench generate"] = typeof(GenerateCommand.Settings),
        ["bench serve"] = typeof(ServeBenchCommand.Settings),
    };

    public static CommandApp Create()
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("mamba-audio");
            config.PropagateExceptions();
            // An unknown option is an error naming it: by default Spectre.Console.Cli keeps it as a
            // "remaining argument", so `render --secnds 3` rendered the default 10 s without a word.
            config.UseStrictParsing();
            config.AddCommand<PrepareCommand>("prepare")
                .WithDescription("Turn folders of WAV files into a corpus: resampled, mu-law encoded, split into train and validation, updated incrementally.")
                .WithExample("prepare", "data/digits/wav", "--out", "data/digits/corpus", "--group-by", "^([^_]+)_");
            config.AddCommand<TrainCommand>("train")
                .WithDescription("Train a Mamba (or the Transformer baseline) on a prepared corpus; resumable, checkpointed, with live progress.")
                .WithExample("train", "--corpus", "runs/samples-corpus", "--out", "runs/tiny", "--preset", "tiny", "--steps", "300");
            config.AddCommand<RenderCommand>("render")
                .WithDescription("Generate audio from a Mamba checkpoint into WAV files: any duration in constant memory, prompts, ranked takes.")
                .WithExample("render", "--checkpoint", "runs/tiny/best", "--out", "out/tiny.wav", "--seconds", "30", "--takes", "4");
            config.AddCommand<EvaluateCommand>("evaluate")
                .WithDescription("Score a Mamba checkpoint on a corpus's validation split in bits/sample (the crops train validates on), on the CPU engine.")
                .WithExample("evaluate", "--checkpoint", "samples/models/digits-small", "--corpus", "data/digits/corpus");
            config.AddCommand<PlayCommand>("play")
                .WithDescription("Play a chain live to the sound card: a generator (a Mamba model, a file, a tone), effects, sinks; parameters change while it plays.")
                .WithExample("play", "--chain", "mamba checkpoint=samples/models/digits-small | lowpass hz=3000 | pulse", "--seconds", "10");
            config.AddCommand<PluginsCommand>("plugins")
                .WithDescription("List what a chain can name: generators, effects and sinks, with their settings and live parameters.");
            config.AddCommand<DevicesCommand>("devices")
                .WithDescription("List where sound can go and come from: whether a PulseAudio server answers, and ALSA's devices.");
            config.AddCommand<ServeCommand>("serve")
                .WithDescription("Serve generated streams to many clients over WebSocket (MessagePack), one continuous batch per model, with a browser page at /, /health and /metrics.")
                .WithExample("serve", "--model", "samples/models/digits-small", "--token", "change-me-please");
            config.AddCommand<ListenCommand>("listen")
                .WithDescription("Play a stream of a serve instance to the sound card, or write it to a WAV file.")
                .WithExample("listen", "ws://127.0.0.1:8765/ws", "--token", "change-me-please", "--out", "remote.wav", "--seconds", "5");
            config.AddBranch("bench", bench =>
            {
                bench.SetDescription("Measured benchmarks: each prints a table and writes JSON.");
                bench.AddCommand<SelectiveCopyCommand>("selective-copy")
                    .WithDescription("Train a 2-layer Mamba on the Selective Copying task of the Mamba paper and report copy accuracy.")
                    .WithExample("bench", "selective-copy", "--preset", "quick");
                bench.AddCommand<InductionHeadsCommand>("induction-heads")
                    .WithDescription("Train a 2-layer Mamba on the Induction Heads task of the Mamba paper at one length and report its accuracy at longer ones.")
                    .WithExample("bench", "induction-heads", "--preset", "quick");
                bench.AddCommand<ScanCommand>("scan")
                    .WithDescription("Time the fused CPU selective scan against the reference, forward and forward+backward.");
                bench.AddCommand<ServeBenchCommand>("serve")
                    .WithDescription("The service on loopback: concurrent real-time streams (first-block and inter-block latency, late blocks, memory), connections per second, batching against one by one.");
                bench.AddCommand<GenerateCommand>("generate")
                    .WithDescription("Generation speed per engine and stream count, peak memory against duration, and the Transformer's cost per sample against context.");
            });
        });
        return app;
    }
}
