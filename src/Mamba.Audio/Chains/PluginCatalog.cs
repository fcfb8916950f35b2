using System.Globalization;
using Mamba.Audio.Plugins;
using Mamba.Audio.Plugins.BuiltIn;

namespace Mamba.Audio.Chains;

/// <summary>Settings of one stage, consumed by its factory; whatever is left must be a parameter of the plugin.</summary>
public sealed class StageSettings(StageText stage)
{
    private readonly Dictionary<string, string> left = new(stage.Settings, StringComparer.Ordinal);

    public string Stage => stage.Name;

    public string Text(string key) => Optional(key) ?? throw new ArgumentException($"--chain: '{stage.Name}' needs {key}=...");

    public string? Optional(string key) => left.Remove(key, out var value) ? value : null;

    public ulong UInt64(string key, ulong fallback) => Optional(key) is { } text
        ? ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"--chain: '{stage.Name}' {key}={text}: expected a whole number >= 0.")
        : fallback;

    public double Double(string key, double fallback) => Optional(key) is { } text
        ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v
          : throw new ArgumentException($"--chain: '{stage.Name}' {key}={text}: expected a number.")
        : fallback;

    public int Int(string key, int fallback, int min, int max) => Optional(key) is { } text
        ? int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max ? v
          : throw new ArgumentException($"--chain: '{stage.Name}' {key}={text}: expected a whole number in {min}..{max}.")
        : fallback;

    /// <summary>Sets the remaining settings as parameters of <paramref name="plugin"/>; an unknown one is an error listing what it takes.</summary>
    public T Apply<T>(T plugin, IEnumerable<string> settingsTaken) where T : AudioPlugin
    {
        foreach (var (key, value) in left)
        {
            var parameter = plugin.Parameters.FirstOrDefault(p => p.Name == key)
                ?? throw new ArgumentException($"--chain: '{stage.Name}' has no setting '{key}'; it takes " +
                    string.Join(", ", settingsTaken.Concat(plugin.Parameters.Select(p => p.Name)).DefaultIfEmpty("none")) + ".");
            plugin.Set(key, parameter.Parse(value));
        }
        return plugin;
    }
}

/// <summary>What a chain stage can name: the built-in plugins, and those a host adds (a sound card, LADSPA, managed plugins).</summary>
public sealed class PluginCatalog
{
    /// <param name="Settings">What the plugin takes when it is made (a path, a seed), besides its <paramref name="Parameters"/>.</param>
    public sealed record Entry(string Name, string Kind, string Summary, IReadOnlyList<string> Settings, IReadOnlyList<PluginParameter> Parameters,
        Func<StageSettings, ChainContext, AudioPlugin> Create);

    private readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);

    public IEnumerable<Entry> Entries => entries.Values.OrderBy(e => e.Kind).ThenBy(e => e.Name, StringComparer.Ordinal);

    public void Add(string name, string kind, string summary, IReadOnlyList<string> settings, IReadOnlyList<PluginParameter> parameters,
        Func<StageSettings, ChainContext, AudioPlugin> create) =>
        entries[name] = new Entry(name, kind, summary, settings, parameters, create);

    public Entry Find(string name) => entries.TryGetValue(name, out var entry) ? entry
        : throw new ArgumentException($"--chain: no plugin named '{name}'; there are {string.Join(", ", entries.Keys.Order(StringComparer.Ordinal))} (`mamba-audio plugins` lists them).");

    /// <summary>The plugins of Mamba.Audio: generators, effects and the WAV sink (the sound card is added by the host).</summary>
    public static PluginCatalog BuiltIn()
    {
        var catalog = new PluginCatalog();
        catalog.Add("mamba", "generator", "a Mamba checkpoint on the CPU engine (no libtorch); the chain runs at the model's rate; prompt=FILE continues the file's last prompt_seconds (default 4)",
            ["checkpoint", "seed", "threads", "engine", "prompt", "prompt_seconds"], MambaGenerator.Declared,
            (s, _) =>
            {
                if (s.Optional("engine") is { } engine && engine != "cpu")
                    throw new ArgumentException($"--chain: 'mamba' engine={engine}: a chain runs on the CPU engine of Mamba.Core (engine=cpu), without libtorch; `render --engine torch` runs the torch engine offline.");
                double promptSeconds = s.Double("prompt_seconds", 4);
                if (!(promptSeconds > 0 && promptSeconds <= 600)) throw new ArgumentException($"--chain: 'mamba' prompt_seconds={promptSeconds}: must be in (0, 600].");
                return s.Apply(new MambaGenerator(s.Text("checkpoint"), s.UInt64("seed", 1), s.Int("threads", 1, 1, 256), s.Optional("prompt"), promptSeconds),
                    ["checkpoint", "seed", "threads", "engine", "prompt", "prompt_seconds"]);
            });
        catalog.Add("continue", "effect", "a Mamba checkpoint that listens: passes its input through and, when the input falls silent, continues it (as render --prompt does)",
            ["checkpoint", "seed", "threads", "prompt_seconds"], MambaContinuation.Declared,
            (s, _) => s.Apply(new MambaContinuation(s.Text("checkpoint"), s.UInt64("seed", 1), s.Double("prompt_seconds", 4), s.Int("threads", 1, 1, 256)),
                ["checkpoint", "seed", "threads", "prompt_seconds"]));
        catalog.Add("tone", "generator", "a sine test tone", [], ToneGenerator.Declared, (s, _) => s.Apply(new ToneGenerator(), []));
        catalog.Add("file", "generator", "a WAV file, converted to the chain's rate", ["path"], WavFileGenerator.Declared,
            (s, _) => s.Apply(new WavFileGenerator(s.Text("path")), ["path"]));
        catalog.Add("gain", "effect", "level, smoothed", [], GainEffect.Declared, (s, _) => s.Apply(new GainEffect(), []));
        catalog.Add("lowpass", "effect", "biquad low-pass", [], FilterEffect.Declared(lowpass: true), (s, _) => s.Apply(FilterEffect.LowPass(), []));
        catalog.Add("highpass", "effect", "biquad high-pass", [], FilterEffect.Declared(lowpass: false), (s, _) => s.Apply(FilterEffect.HighPass(), []));
        catalog.Add("delay", "effect", "feedback echo", [], DelayEffect.Declared, (s, _) => s.Apply(new DelayEffect(), []));
        catalog.Add("chorus", "effect", "NWaves chorus, three voices", [], ModulationEffect.ChorusParameters, (s, _) => s.Apply(ModulationEffect.Chorus(), []));
        catalog.Add("flanger", "effect", "NWaves flanger", [], ModulationEffect.FlangerParameters, (s, _) => s.Apply(ModulationEffect.Flanger(), []));
        catalog.Add("reverb", "effect", "Freeverb-style reverberation", [], ReverbEffect.Declared, (s, _) => s.Apply(new ReverbEffect(), []));
        catalog.Add("limiter", "effect", "peak limiter", [], LimiterEffect.Declared, (s, _) => s.Apply(new LimiterEffect(), []));
        catalog.Add("resample", "rate change", "changes the chain's rate: what comes before runs at its rate, what follows at rate= (256-tap windowed sinc)",
            ["rate"], [], (s, _) => s.Apply(new Resample(s.Int("rate", 48000, 1000, 384000)), ["rate"]));
        catalog.Add("wav", "sink", "16-bit WAV file (refuses an existing file without --force)", ["path"], [],
            (s, c) => s.Apply(new WavFileSink(s.Text("path"), c.ReplaceFiles), ["path"]));
        catalog.Add("null", "sink", "discards the audio (for timing a chain)", [], [], (s, _) => s.Apply(new NullSink(), []));
        catalog.Add("ladspa", "effect", "a LADSPA plugin installed on the system (`mamba-audio plugins --ladspa` lists them); its control ports are its parameters",
            ["file", "label"], [], (s, c) =>
            {
                var descriptor = Plugins.Ladspa.LadspaLibrary.Find(s.Text("file"), s.Text("label"));
                return s.Apply(new Plugins.Ladspa.LadspaEffect(descriptor, c.SampleRate), ["file", "label"]);
            });
        catalog.Add("lv2", "effect", "an LV2 plugin installed on the system, through liblilv (`mamba-audio plugins --lv2` lists them); its control ports are its parameters, by symbol",
            ["uri"], [], (s, c) => s.Apply(new Plugins.Lv2.Lv2Effect(Plugins.Lv2.Lv2World.Find(s.Text("uri")), c.SampleRate), ["uri"]));
        return catalog;
    }
}

/// <summary>What a chain is built for: whether files may be replaced (--force), and its sample rate (the generator's own when it has one; see <see cref="Chain.Build"/>).</summary>
public sealed record ChainContext(bool ReplaceFiles = false, int SampleRate = 48000);

/// <summary>`null`: a sink that keeps nothing.</summary>
public sealed class NullSink() : Sink("null", [])
{
    public override void Write(ReadOnlySpan<float> block) { }
}
