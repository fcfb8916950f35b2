using Mamba.Audio.Chains;
using Mamba.Audio.Plugins.Managed;
using Mamba.Audio.Service.Client;
using Mamba.Audio.Streaming;
using Spectre.Console;

namespace Mamba.Audio.Host.Commands;

/// <summary>The catalog the host's chains use: Mamba.Audio's built-in plugins, the sound card, and managed plugins from a folder.</summary>
public static class ChainCatalog
{
    /// <param name="pluginsFolder">Managed plugin assemblies (null: $MAMBA_AUDIO_PLUGINS, if set); what cannot be loaded is printed and skipped.</param>
    public static PluginCatalog Create(string? pluginsFolder = null)
    {
        var catalog = PluginCatalog.BuiltIn();
        pluginsFolder ??= Environment.GetEnvironmentVariable("MAMBA_AUDIO_PLUGINS") is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        catalog.Add("pulse", "sink", "the sound card through PulseAudio (play's default sink)", ["server", "device"], [], (s, _) =>
            s.Apply(new SoundCardSink(SoundCardBackend.PulseAudio, s.Optional("server"), s.Optional("device")), ["server", "device"]));
        catalog.Add("alsa", "sink", "the sound card through ALSA: device=default, hw:0, plughw:0, pulse:SINK (`aplay -L` lists them)", ["device"], [], (s, _) =>
            s.Apply(new SoundCardSink(SoundCardBackend.Alsa, null, s.Optional("device")), ["device"]));
        catalog.Add("capture", "generator", "the sound card's input through PulseAudio (a sink's monitor: device=SINK.monitor)", ["server", "device"], [], (s, _) =>
            s.Apply(new CaptureGenerator(SoundCardBackend.PulseAudio, s.Optional("server"), s.Optional("device")), ["server", "device"]));
        catalog.Add("alsa-capture", "generator", "the sound card's input through ALSA: device=default, plughw:0, pulse:SOURCE", ["device"], [], (s, _) =>
            s.Apply(new CaptureGenerator(SoundCardBackend.Alsa, null, s.Optional("device")), ["device"]));
        catalog.Add("wasapi", "sink", "the sound card through WASAPI, shared mode (Windows; play's default sink there): device=ID or part of its name (`mamba-audio devices`)", ["device"], [], (s, _) =>
            s.Apply(new SoundCardSink(SoundCardBackend.Wasapi, null, s.Optional("device")), ["device"]));
        catalog.Add("wasapi-capture", "generator", "the sound card's input through WASAPI, shared mode (Windows): device=ID or part of its name", ["device"], [], (s, _) =>
            s.Apply(new CaptureGenerator(SoundCardBackend.Wasapi, null, s.Optional("device")), ["device"]));
        catalog.Add("remote", "generator", "a stream of a `mamba-audio serve` instance: url=ws://host:port/ws, token= (default $MAMBA_AUDIO_TOKEN), model, seed, temperature, top_p, seconds; at the chain's --rate (the server resamples)",
            ["url", "token", "model", "seed", "temperature", "top_p", "seconds"], [], (s, _) =>
            {
                var url = s.Text("url");
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss"))
                    throw new ArgumentException($"--chain: 'remote' url={url}: a ws:// address such as ws://127.0.0.1:8765/ws.");
                string? token = s.Optional("token") ?? (Environment.GetEnvironmentVariable("MAMBA_AUDIO_TOKEN") is { Length: > 0 } t ? t : null);
                string? seed = s.Optional("seed");
                double seconds = s.Double("seconds", 0);
                var request = new RemoteRequest(uri, token, s.Optional("model"), (float)s.Double("temperature", 1), (float)s.Double("top_p", 1),
                    seed is null ? null : ulong.TryParse(seed, out var n) ? n : throw new ArgumentException($"--chain: 'remote' seed={seed}: a whole number."),
                    seconds > 0 ? seconds : null);
                return s.Apply(new RemoteGenerator(request), ["url", "token", "model", "seed", "temperature", "top_p", "seconds"]);
            });
        if (pluginsFolder is not null)
            foreach (var problem in PluginAssemblies.Load(pluginsFolder, catalog))
                AnsiConsole.MarkupLineInterpolated($"[yellow]plugin skipped:[/] {problem}");
        return catalog;
    }
}
