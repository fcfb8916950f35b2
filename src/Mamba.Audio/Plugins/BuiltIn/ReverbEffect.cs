namespace Mamba.Audio.Plugins.BuiltIn;

/// <summary>
/// `reverb room=0.8 damping=0.5 mix=0.25`: Schroeder-Moorer reverberation as Freeverb builds it
/// (eight damped feedback combs in parallel, four all-passes in series; delays tuned at 44.1 kHz and
/// scaled to the chain's rate). Lines are allocated in Prepare; a block allocates nothing.
/// </summary>
public sealed class ReverbEffect() : Effect("reverb", Declared)
{
    public static readonly IReadOnlyList<PluginParameter> Declared = [
        new PluginParameter("room", 0, 1, 0.8f, "", Description: "room size: the combs' feedback, 0.7 to 0.98"),
        new PluginParameter("damping", 0, 1, 0.5f, "", Description: "high-frequency damping in the combs"),
        new PluginParameter("mix", 0, 1, 0.25f, "", Smoothed: true, Description: "share of the reverberation in the output")];

    private static readonly int[] CombTuning = [1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617];
    private static readonly int[] AllpassTuning = [556, 441, 341, 225];
    private float[][] combs = [], allpasses = [];
    private int[] combIndex = [], allpassIndex = [];
    private float[] combFilter = [];
    private SmoothedValue mix;

    protected override void OnPrepare(StreamFormat format)
    {
        double scale = format.SampleRate / 44100.0;
        combs = [.. CombTuning.Select(t => new float[Math.Max(1, (int)(t * scale))])];
        allpasses = [.. AllpassTuning.Select(t => new float[Math.Max(1, (int)(t * scale))])];
        combIndex = new int[combs.Length];
        allpassIndex = new int[allpasses.Length];
        combFilter = new float[combs.Length];
        mix = new SmoothedValue(Value(2), (int)(format.SampleRate * SmoothingSeconds));
    }

    public override void Process(Span<float> block)
    {
        float feedback = 0.7f + 0.28f * Value(0), damp = 0.4f * Value(1);
        mix.SetTarget(Value(2));
        for (int i = 0; i < block.Length; i++)
        {
            float input = block[i] * 0.015f, wet = 0;   // Freeverb's fixed input gain keeps the sum of eight combs in range
            for (int c = 0; c < combs.Length; c++)
            {
                var line = combs[c];
                float delayed = line[combIndex[c]];
                combFilter[c] = delayed * (1 - damp) + combFilter[c] * damp;
                line[combIndex[c]] = input + combFilter[c] * feedback;
                if (++combIndex[c] == line.Length) combIndex[c] = 0;
                wet += delayed;
            }
            for (int a = 0; a < allpasses.Length; a++)
            {
                var line = allpasses[a];
                float delayed = line[allpassIndex[a]];
                line[allpassIndex[a]] = wet + delayed * 0.5f;
                wet = delayed - wet;
                if (++allpassIndex[a] == line.Length) allpassIndex[a] = 0;
            }
            float m = mix.Next();
            block[i] = block[i] * (1 - m) + wet * 3 * m;
        }
    }
}
