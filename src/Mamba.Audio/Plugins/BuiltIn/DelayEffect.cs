namespace Mamba.Audio.Plugins.BuiltIn;

/// <summary>`delay ms=250 feedback=0.4 mix=0.3`: a feedback echo; the line is allocated in Prepare, for the longest delay.</summary>
public sealed class DelayEffect() : Effect("delay", Declared)
{
    public static readonly IReadOnlyList<PluginParameter> Declared = [
        new PluginParameter("ms", 1, 2000, 250, "ms", Description: "delay time"),
        new PluginParameter("feedback", 0, 0.95f, 0.4f, "", Description: "share of the echo fed back"),
        new PluginParameter("mix", 0, 1, 0.3f, "", Smoothed: true, Description: "share of the echo in the output")];

    private float[] line = [];
    private int write;
    private SmoothedValue mix;

    protected override void OnPrepare(StreamFormat format)
    {
        line = new float[(int)(format.SampleRate * 2.0) + 1];
        mix = new SmoothedValue(Value(2), (int)(format.SampleRate * SmoothingSeconds));
    }

    public override void Process(Span<float> block)
    {
        int delay = Math.Clamp((int)(Value(0) * Format!.SampleRate / 1000), 1, line.Length - 1);
        float feedback = Value(1);
        mix.SetTarget(Value(2));
        for (int i = 0; i < block.Length; i++)
        {
            int read = write - delay;
            if (read < 0) read += line.Length;
            float echo = line[read], dry = block[i];
            line[write] = dry + echo * feedback;
            if (++write == line.Length) write = 0;
            float m = mix.Next();
            block[i] = dry * (1 - m) + echo * m;
        }
    }
}
