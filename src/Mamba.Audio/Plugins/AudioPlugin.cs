namespace Mamba.Audio.Plugins;

/// <summary>
/// What every plugin is: a name, its parameters, the latency it adds, and a preparation step that
/// runs off the audio path (load a model, allocate buffers) before any block. Parameters can be set
/// from any thread while audio runs: <see cref="Set"/> stores the target, and the audio path reads it
/// without locks at the start of each block (<see cref="Value"/>, or a <see cref="SmoothedValue"/>
/// that glides). Processing methods allocate nothing.
/// </summary>
public abstract class AudioPlugin : IDisposable
{
    /// <summary>How long a smoothed parameter takes to reach a new value: short enough to feel immediate, long enough not to click.</summary>
    public const double SmoothingSeconds = 0.01;

    private readonly float[] targets;

    protected AudioPlugin(string name, IReadOnlyList<PluginParameter> parameters)
    {
        Name = name;
        Parameters = parameters;
        targets = parameters.Select(p => p.Default).ToArray();
    }

    /// <summary>The name a chain uses for it ("gain", "mamba", "ladspa:amp_mono").</summary>
    public string Name { get; }

    public IReadOnlyList<PluginParameter> Parameters { get; }

    /// <summary>Samples of delay the plugin adds between its input and its output (0 for most).</summary>
    public virtual int LatencySamples => 0;

    /// <summary>The format it was prepared for; null before <see cref="Prepare"/>.</summary>
    public StreamFormat? Format { get; private set; }

    /// <summary>Called once, off the audio path, before the first block.</summary>
    public void Prepare(StreamFormat format)
    {
        Format = format.Validate();
        OnPrepare(format);
    }

    protected virtual void OnPrepare(StreamFormat format) { }

    /// <summary>Sets a parameter by name (any thread, any time); throws <see cref="ArgumentException"/> for an unknown name or a value out of range.</summary>
    public void Set(string name, float value)
    {
        int index = IndexOf(name);
        if (Parameters[index].Problem(value) is { } problem) throw new ArgumentException($"{Name}: {problem}.");
        Volatile.Write(ref targets[index], value);
    }

    /// <summary>The value last set (the target of a smoothed parameter).</summary>
    public float Get(string name) => Volatile.Read(ref targets[IndexOf(name)]);

    /// <summary>The current target of parameter <paramref name="index"/>, read lock-free on the audio path.</summary>
    protected float Value(int index) => Volatile.Read(ref targets[index]);

    public int IndexOf(string name)
    {
        for (int i = 0; i < Parameters.Count; i++) if (Parameters[i].Name == name) return i;
        throw new ArgumentException($"{Name} has no parameter '{name}'; it has {(Parameters.Count == 0 ? "none" : string.Join(", ", Parameters.Select(p => p.Name)))}.");
    }

    public virtual void Dispose() { }
}

/// <summary>A source of audio: fills each block (a model, a file, a tone, a sound card's input).</summary>
public abstract class Generator(string name, IReadOnlyList<PluginParameter> parameters) : AudioPlugin(name, parameters)
{
    /// <summary>Writes the next <c>output.Length</c> samples. A finite source writes silence once it has ended and says so in <see cref="Ended"/>.</summary>
    public abstract void Generate(Span<float> output);

    /// <summary>Whether a finite source (a file) has nothing more; a chain run offline stops there.</summary>
    public virtual bool Ended => false;

    /// <summary>
    /// For a generator that listens (the Mamba generator's continue mode): the block that reached the
    /// chain's input before this one is generated. Others ignore it.
    /// </summary>
    public virtual void Listen(ReadOnlySpan<float> input) { }
}

/// <summary>Transforms audio in place, block by block (a filter, a gain, a delay).</summary>
public abstract class Effect(string name, IReadOnlyList<PluginParameter> parameters) : AudioPlugin(name, parameters)
{
    public abstract void Process(Span<float> block);
}

/// <summary>Where audio ends up (a WAV file, a sound card); a chain may end in several.</summary>
public abstract class Sink(string name, IReadOnlyList<PluginParameter> parameters) : AudioPlugin(name, parameters)
{
    public abstract void Write(ReadOnlySpan<float> block);

    /// <summary>Called once after the last block (flush, close).</summary>
    public virtual void Finish() { }
}
