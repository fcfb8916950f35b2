using Mamba.Audio.Plugins;
using Mamba.Audio.Plugins.BuiltIn;

namespace Mamba.Audio.Chains;

/// <summary>
/// A generator, effects in order and sinks, run block by block: generate, process in place, write to
/// every sink. The same object runs offline (<see cref="RunOffline"/>, as fast as it goes) and live
/// (a <see cref="Streaming.StreamingHost"/> calls <see cref="ProcessBlock"/> from its generator thread),
/// so what is heard and what is rendered come from one piece of code.
/// </summary>
public sealed class Chain : IDisposable
{
    public Chain(Generator generator, IReadOnlyList<Effect> effects, IReadOnlyList<Sink> sinks, int sampleRate = 48000)
    {
        SampleRate = sampleRate;
        Generator = generator;
        Effects = effects;
        Sinks = sinks;
    }

    public Generator Generator { get; }
    public IReadOnlyList<Effect> Effects { get; }
    public IReadOnlyList<Sink> Sinks { get; }
    public IEnumerable<AudioPlugin> Plugins => Effects.Cast<AudioPlugin>().Prepend(Generator).Concat(Sinks);
    public StreamFormat? Format { get; private set; }

    /// <summary>Samples of delay the effects add, summed.</summary>
    public int LatencySamples => Effects.Sum(e => e.LatencySamples);

    /// <summary>The rate the chain was built for: the generator's own (a model's training rate), else the context's.</summary>
    public int SampleRate { get; private init; }

    /// <summary>Builds a chain from its text; sinks named "pulse" and such come from the catalog the host extended.</summary>
    public static Chain Build(ChainText text, PluginCatalog catalog, ChainContext context)
    {
        var made = new List<AudioPlugin>();
        try
        {
            T Make<T>(StageText stage, string kind) where T : AudioPlugin
            {
                var entry = catalog.Find(stage.Name);
                var plugin = entry.Create(new StageSettings(stage), context);
                made.Add(plugin);
                return plugin as T ?? throw new ArgumentException($"--chain: '{stage.Name}' is a {entry.Kind}; it cannot stand where a {kind} goes.");
            }
            var generator = Make<Generator>(text.Generator, "generator");
            // The rest is made for the generator's rate: some plugins' ranges depend on it (a LADSPA cutoff of 0.45 x rate).
            if (generator is MambaGenerator mamba) context = context with { SampleRate = mamba.SampleRate };
            var effects = text.Effects.Select(e => Make<Effect>(e, "effect")).ToList();
            var sinks = text.Sinks.Select(s => Make<Sink>(s, "sink")).ToList();
            return new Chain(generator, effects, sinks) { SampleRate = context.SampleRate };
        }
        catch
        {
            foreach (var plugin in made) plugin.Dispose();
            throw;
        }
    }

    /// <summary>Prepares every plugin for the format (off the audio path: this is where buffers are allocated).</summary>
    public void Prepare(StreamFormat format)
    {
        Format = format.Validate();
        foreach (var plugin in Plugins) plugin.Prepare(format);
    }

    /// <summary>One block through the chain: generated into <paramref name="block"/>, processed, written to every sink. Allocates nothing.</summary>
    public void ProcessBlock(Span<float> block)
    {
        Generator.Generate(block);
        foreach (var effect in Effects) effect.Process(block);
        foreach (var sink in Sinks) sink.Write(block);
    }

    /// <summary>Runs <paramref name="samples"/> samples (or until a finite generator ends) as fast as it goes; returns the samples run.</summary>
    public long RunOffline(long samples, CancellationToken cancel = default)
    {
        var format = Format ?? throw new InvalidOperationException("Prepare the chain first.");
        var block = new float[format.MaxBlock];
        long done = 0;
        while (done < samples && !Generator.Ended && !cancel.IsCancellationRequested)
        {
            int n = (int)Math.Min(block.Length, samples - done);
            ProcessBlock(block.AsSpan(0, n));
            done += n;
        }
        Finish();
        return done;
    }

    /// <summary>Closes the sinks (files renamed into place).</summary>
    public void Finish()
    {
        foreach (var sink in Sinks) sink.Finish();
    }

    public void Dispose()
    {
        foreach (var plugin in Plugins) plugin.Dispose();
    }
}
