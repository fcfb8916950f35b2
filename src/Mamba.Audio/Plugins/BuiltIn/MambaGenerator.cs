namespace Mamba.Audio.Plugins.BuiltIn;

/// <summary>
/// `mamba checkpoint=samples/models/digits-small temperature=0.9 top_p=0.95 seed=7`: a Mamba
/// checkpoint generating sample by sample on the CPU engine of Mamba.Core (no libtorch). The model
/// loads when the plugin is made, before audio starts; temperature and top-p change live (the next
/// block uses them, the random sequence goes on). The same checkpoint, seed and settings give the
/// samples `render` gives; with prompt=FILE it first steps through the last prompt_seconds of the file
/// and continues it, as `render --prompt FILE --prompt-seconds S` does on the CPU engine.
/// </summary>
public sealed class MambaGenerator : Generator
{
    private readonly MambaStream stream;
    private byte[] classes = [];

    public static readonly IReadOnlyList<PluginParameter> Declared = [
        new PluginParameter("temperature", 0, 2, 1, "", Description: "sampling temperature (0 = greedy)"),
        new PluginParameter("top_p", 0.01f, 1, 1, "", Description: "nucleus sampling mass")];

    /// <param name="prompt">A WAV file to continue (read and stepped through here, before audio starts), or null to start from silence.</param>
    public MambaGenerator(string checkpoint, ulong seed, int threads = 1, string? prompt = null, double promptSeconds = 4) : base("mamba", Declared)
    {
        stream = new MambaStream(checkpoint, seed, threads);
        Checkpoint = checkpoint;
        if (prompt is null) return;
        try
        {
            Prompt = Generation.PromptAudio.ReadLast(prompt, promptSeconds, stream.SampleRate);
            stream.Prime(Prompt.Classes);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The prompt it continues (classes and what was wrong with the file), or null.</summary>
    public Generation.PromptClasses? Prompt { get; }

    public string Checkpoint { get; }

    /// <summary>The rate the model was trained at: a chain with this generator runs at it.</summary>
    public int SampleRate => stream.SampleRate;

    protected override void OnPrepare(StreamFormat format)
    {
        if (format.SampleRate != SampleRate)
            throw new ArgumentException($"mamba checkpoint={Checkpoint}: the model generates at {SampleRate} Hz; the chain runs at {format.SampleRate} Hz.");
        classes = new byte[format.MaxBlock];
        stream.SetSampling(Value(0), Value(1));
    }

    /// <summary>Starts again as if made with <paramref name="seed"/>: what follows is render's take for that seed. Allocates nothing.</summary>
    public void Restart(ulong seed) => stream.Restart(seed);

    public override void Generate(Span<float> output)
    {
        stream.SetSampling(Value(0), Value(1));
        stream.Generate(output, classes);
    }

    public override void Dispose() => stream.Dispose();
}
