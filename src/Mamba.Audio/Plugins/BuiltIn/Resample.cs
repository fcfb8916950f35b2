using Mamba.Audio.Resampling;
using NAudio.Wave;

namespace Mamba.Audio.Plugins.BuiltIn;

/// <summary>
/// `resample rate=48000`: the stage where a chain changes rate. What comes before it runs at the
/// rate it had (a model's 16 kHz); what follows, sinks included, at <see cref="Rate"/>. It is not an
/// effect (an effect keeps a block's length): <see cref="Chains.Chain.Build"/> turns everything before
/// it into a <see cref="ResampledSource"/>.
/// </summary>
public sealed class Resample(int rate) : AudioPlugin("resample", [])
{
    public int Rate { get; } = rate >= 1000 && rate <= 384000 ? rate : throw new ArgumentException($"--chain: 'resample' rate={rate}: must be in 1000..384000 Hz.");
}

/// <summary>
/// A generator and the effects after it, run at their own rate and read through the project's
/// windowed-sinc resampler (<see cref="MonoResampler"/>, NAudio's WDL at 256 taps) at the chain's rate
/// after a <see cref="Resample"/> stage. Upstream blocks are run as the resampler asks for input,
/// into a buffer made in Prepare; the resampler's own input buffer reaches its size on the first block.
/// </summary>
public sealed class ResampledSource : Generator
{
    private readonly Generator upstream;
    private readonly IReadOnlyList<Effect> effects;
    private readonly int sourceRate;
    private MonoResampler? resampler;
    private int upstreamBlock;
    private bool upstreamEnded, drained;

    public ResampledSource(Generator upstream, IReadOnlyList<Effect> effects, int sourceRate, Resample stage) : base("resample", [])
    {
        this.upstream = upstream;
        this.effects = effects;
        this.sourceRate = sourceRate;
        Stage = stage;
    }

    public Resample Stage { get; }

    /// <summary>The stages it runs, in chain order (the generator first).</summary>
    public IEnumerable<AudioPlugin> Upstream => effects.Cast<AudioPlugin>().Prepend(upstream);

    /// <summary>The effects' delay and the sinc's half length (<see cref="MonoResampler.SincSize"/>/2 input samples), at the output rate.</summary>
    public override int LatencySamples => (int)Math.Round((upstream.LatencySamples + effects.Sum(e => e.LatencySamples) + MonoResampler.SincSize / 2.0) * Stage.Rate / sourceRate);

    public override bool Ended => drained;

    protected override void OnPrepare(StreamFormat format)
    {
        if (format.SampleRate != Stage.Rate) throw new ArgumentException($"resample: made for {Stage.Rate} Hz, the chain runs at {format.SampleRate} Hz.");
        upstreamBlock = (int)Math.Clamp((long)format.MaxBlock * sourceRate / format.SampleRate + MonoResampler.SincSize, 1, 1 << 16);
        var inner = new StreamFormat(sourceRate, upstreamBlock);
        foreach (var plugin in Upstream) plugin.Prepare(inner);
        resampler = new MonoResampler(new Rated(this, sourceRate), format.SampleRate);
    }

    public override void Generate(Span<float> output)
    {
        int done = 0;
        while (done < output.Length && !drained)
        {
            int n = resampler!.Read(output[done..]);
            if (n == 0) drained = true;
            done += n;
        }
        output[done..].Clear();
    }

    /// <summary>Runs the upstream stages for the resampler: the generator writes, the effects process in place, in parts of at most the prepared block.</summary>
    private int ReadUpstream(Span<float> buffer)
    {
        int done = 0;
        while (done < buffer.Length && !upstreamEnded)
        {
            var part = buffer.Slice(done, Math.Min(upstreamBlock, buffer.Length - done));
            upstream.Generate(part);
            foreach (var effect in effects) effect.Process(part);
            done += part.Length;
            upstreamEnded = upstream.Ended;   // a finite source: what it gave is kept, fewer samples than asked tell the resampler to flush
        }
        return done;
    }

    /// <summary>The source as the resampler sees it: mono at the upstream rate.</summary>
    private sealed class Rated(ResampledSource source, int rate) : ISampleProvider
    {
        public WaveFormat WaveFormat { get; } = WaveFormat.CreateIeeeFloatWaveFormat(rate, 1);
        public int Read(Span<float> buffer) => source.ReadUpstream(buffer);
    }
}
