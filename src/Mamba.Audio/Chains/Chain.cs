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

    /// <summary>What each block starts from: the chain's generator, or a <see cref="ResampledSource"/> holding it and the stages before a rate change.</summary>
    public Generator Generator { get; }

    /// <summary>The effects after the last rate change (all of them when there is none).</summary>
    public IReadOnlyList<Effect> Effects { get; }
    public IReadOnlyList<Sink> Sinks { get; }

    /// <summary>The chain's first stage: the generator as written (a model, a file, a sound card's input).</summary>
    public Generator Source => Generator is ResampledSource resampled ? (Generator)Expand(resampled).First() : Generator;

    /// <summary>Every stage as written, in order (what live control numbers and names).</summary>
    public IEnumerable<AudioPlugin> Plugins => (Generator is ResampledSource resampled ? Expand(resampled) : [Generator]).Concat(Effects).Concat(Sinks);

    private static IEnumerable<AudioPlugin> Expand(ResampledSource source) =>
        source.Upstream.SelectMany(p => p is ResampledSource inner ? Expand(inner) : [p]).Append(source.Stage);

    public StreamFormat? Format { get; private set; }

    /// <summary>Samples of delay the stages add (effects, and a resampler's filter), at the chain's rate.</summary>
    public int LatencySamples => Generator.LatencySamples + Effects.Sum(e => e.LatencySamples);

    /// <summary>The rate the chain was built for: the generator's own (a model's training rate), else the context's.</summary>
    public int SampleRate { get; private init; }

    /// <summary>Builds a chain from its text; sinks named "pulse" and such come from the catalog the host extended.</summary>
    public static Chain Build(ChainText text, PluginCatalog catalog, ChainContext context)
    {
        var made = new List<AudioPlugin>();
        try
        {
            AudioPlugin Create(StageText stage)
            {
                var plugin = catalog.Find(stage.Name).Create(new StageSettings(stage), context);
                made.Add(plugin);
                return plugin;
            }
            T As<T>(AudioPlugin plugin, StageText stage, string kind) where T : AudioPlugin => plugin as T
                ?? throw new ArgumentException($"--chain: '{stage.Name}' is a {catalog.Find(stage.Name).Kind}; it cannot stand where a {kind} goes.");
            T Make<T>(StageText stage, string kind) where T : AudioPlugin => As<T>(Create(stage), stage, kind);
            var generator = Make<Generator>(text.Generator, "generator");
            // The rest is made for the generator's rate: some plugins' ranges depend on it (a LADSPA cutoff of 0.45 x rate).
            if (generator is MambaGenerator mamba) context = context with { SampleRate = mamba.SampleRate };
            var effects = new List<Effect>();
            foreach (var stage in text.Effects)
            {
                var plugin = Create(stage);
                if (plugin is Resample resample)
                {
                    // What came before runs at its rate, read through the resampler; what follows is made for the new rate.
                    generator = new ResampledSource(generator, effects, context.SampleRate, resample);
                    effects = [];
                    context = context with { SampleRate = resample.Rate };
                }
                else effects.Add(As<Effect>(plugin, stage, "effect"));
            }
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
        // A ResampledSource prepares the stages before a rate change at their own rate.
        foreach (var plugin in Effects.Cast<AudioPlugin>().Prepend(Generator).Concat(Sinks)) plugin.Prepare(format);
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
