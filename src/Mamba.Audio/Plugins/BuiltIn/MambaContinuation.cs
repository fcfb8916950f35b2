namespace Mamba.Audio.Plugins.BuiltIn;

/// <summary>
/// `capture | continue checkpoint=DIR seed=7 | pulse`: a Mamba model that listens. While its input
/// sounds, the input passes through and the model keeps the last prompt_seconds of it; when the input
/// has been silent (every sample under threshold_db) for silence_ms, the model is primed with what it
/// heard, up to the last sound, and continues it, until the input sounds again. Priming and sampling
/// are those of `render --prompt` on the CPU engine (step priming, the slot opened with the seed), so
/// the continuation of a recording equals render's continuation of the same file, sample for sample.
/// Buffers are allocated when it is made; a block allocates nothing.
/// </summary>
public sealed class MambaContinuation : Effect
{
    public static readonly IReadOnlyList<PluginParameter> Declared = [
        new PluginParameter("temperature", 0, 2, 1, "", Description: "sampling temperature (0 = greedy)"),
        new PluginParameter("top_p", 0.01f, 1, 1, "", Description: "nucleus sampling mass"),
        new PluginParameter("threshold_db", -120, 0, -60, "dB", Description: "below this level the input counts as silent"),
        new PluginParameter("silence_ms", 10, 10000, 300, "ms", Description: "silence that starts a continuation")];

    private readonly MambaStream stream;
    private readonly double promptSeconds;
    private float[] heard = [];          // ring of the last prompt samples heard
    private long heardCount;             // samples ever written to the ring
    private long lastSound = -1;         // index (in heardCount terms) of the last sample above the threshold
    private byte[] prompt = [], classes = [];
    private float[] promptFloats = [];
    private int promptSamples;
    private bool generating;

    public MambaContinuation(string checkpoint, ulong seed, double promptSeconds, int threads = 1) : base("continue", Declared)
    {
        if (!(promptSeconds > 0 && promptSeconds <= 600)) throw new ArgumentException($"continue prompt_seconds={promptSeconds}: must be in (0, 600].");
        this.promptSeconds = promptSeconds;
        stream = new MambaStream(checkpoint, seed, threads);
    }

    /// <summary>The model's rate: a chain with it runs at this rate.</summary>
    public int SampleRate => stream.SampleRate;

    /// <summary>Samples into the stream at which the model last started to continue; -1 before it has.</summary>
    public long ContinuedAt { get; private set; } = -1;

    /// <summary>Whether the model is generating (the input has fallen silent) rather than listening.</summary>
    public bool Generating => generating;

    protected override void OnPrepare(StreamFormat format)
    {
        if (format.SampleRate != SampleRate)
            throw new ArgumentException($"continue: the model runs at {SampleRate} Hz; the chain at {format.SampleRate} Hz (play --rate {SampleRate}).");
        promptSamples = (int)Math.Round(promptSeconds * SampleRate);
        // The ring holds a whole prompt before the longest silence that can end it, so the prompt is never cut short by it.
        heard = new float[promptSamples + (int)(Declared[3].Max / 1000 * SampleRate) + format.MaxBlock];
        promptFloats = new float[promptSamples];
        prompt = new byte[promptSamples];
        classes = new byte[format.MaxBlock];
    }

    private long position;   // samples of the stream processed so far

    public override void Process(Span<float> block)
    {
        float threshold = Decibels.ToGain(Value(2));
        long silenceSamples = (long)(Value(3) / 1000 * SampleRate);
        bool loud = false;
        foreach (float v in block) if (MathF.Abs(v) > threshold) { loud = true; break; }

        if (generating && loud) generating = false;                // the input speaks again: listen
        if (!generating)
        {
            for (int i = 0; i < block.Length; i++)
            {
                heard[(int)(heardCount % heard.Length)] = block[i];
                if (MathF.Abs(block[i]) > threshold) lastSound = heardCount;
                heardCount++;
            }
            if (lastSound >= 0 && heardCount - 1 - lastSound >= silenceSamples) StartContinuing();
        }
        if (generating)
        {
            stream.SetSampling(Value(0), Value(1));
            stream.Generate(block, classes);
        }
        position += block.Length;
    }

    /// <summary>Forgets what it heard and starts listening again, its stream reseeded with <paramref name="seed"/>. Allocates nothing.</summary>
    public void Restart(ulong seed)
    {
        stream.Restart(seed);
        (heardCount, lastSound, generating, position, ContinuedAt) = (0, -1, false, 0, -1);
    }

    /// <summary>Primes the model with what was heard up to the last sound (at most prompt_seconds) and starts generating.</summary>
    private void StartContinuing()
    {
        long end = lastSound + 1, start = Math.Max(Math.Max(0, heardCount - heard.Length), end - promptSamples);
        int length = (int)(end - start);
        for (int i = 0; i < length; i++) promptFloats[i] = heard[(int)((start + i) % heard.Length)];
        MuLaw.Encode(promptFloats.AsSpan(0, length), prompt.AsSpan(0, length));
        stream.Prime(prompt.AsSpan(0, length));
        generating = true;
        ContinuedAt = position;
        lastSound = -1;
    }

    public override void Dispose() => stream.Dispose();
}
