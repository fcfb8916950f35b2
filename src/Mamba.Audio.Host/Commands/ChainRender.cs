using System.Diagnostics;
using Mamba.Audio.Chains;
using Mamba.Audio.Host.Terminal;
using Mamba.Audio.Plugins;
using Mamba.Audio.Plugins.BuiltIn;
using Mamba.Audio.Streaming;
using Spectre.Console;

namespace Mamba.Audio.Host.Commands;

/// <summary>
/// `render --chain "..."`: a chain run offline, as fast as it goes, by the same plugins and the same
/// <see cref="Chain"/> that `play` runs live. A `mamba` generator gives render's own samples for the
/// same checkpoint and seed (tested), so the two paths agree.
/// </summary>
public static class ChainRender
{
    public const int BlockSamples = Mamba.Audio.Generation.RenderRequest.DefaultBlockSamples;

    public static int Run(string chainText, double seconds, bool force, bool spectrogram, string? pluginsFolder, CancellationToken cancel)
    {
        var text = ChainFile.Parse(chainText);
        if (text.Sinks.Count == 0) throw new ArgumentException("render --chain: the chain needs a sink to render into, e.g. \"... | wav path=out.wav\".");
        using var chain = Chain.Build(text, ChainCatalog.Create(pluginsFolder), new ChainContext(force));
        if (chain.Sinks.OfType<SoundCardSink>().FirstOrDefault() is { } card)
            throw new ArgumentException($"render --chain: '{card.Name}' is a sound card; render runs offline. Use play for a sound card.");
        if (chain.Source is CaptureGenerator) throw new ArgumentException("render --chain: 'capture' records in real time; use play.");
        int rate = chain.SampleRate;
        chain.Prepare(new StreamFormat(rate, BlockSamples));
        var wavs = chain.Sinks.OfType<WavFileSink>().Select(w => w.Path).ToList();
        if (spectrogram) SpectrogramImage.RefuseExisting(wavs, force);
        AnsiConsole.MarkupLineInterpolated($"[grey]chain:[/] {string.Join(" | ", chain.Plugins.Select(p => p.Name))} at {rate} Hz, offline");

        var clock = Stopwatch.StartNew();
        long done = chain.RunOffline((long)Math.Round(seconds * rate), cancel);
        var elapsed = clock.Elapsed;
        if (spectrogram) SpectrogramImage.WriteBeside(wavs);
        var table = new Table().AddColumns("result", "value");
        table.AddRow("rendered", $"{done / (double)rate:F2} s ({done:N0} samples at {rate} Hz){(chain.Generator.Ended ? " (the source ended)" : "")}");
        table.AddRow("wall time", $"{elapsed.TotalSeconds:F2} s");
        table.AddRow("real-time factor", $"{done / (double)rate / Math.Max(elapsed.TotalSeconds, 1e-9):F2}x");
        foreach (var wav in wavs) table.AddRow("file", Markup.Escape(wav));
        AnsiConsole.Write(table);
        return 0;
    }
}
