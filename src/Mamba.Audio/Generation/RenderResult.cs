namespace Mamba.Audio.Generation;

/// <summary>One take of a render, after ranking.</summary>
/// <param name="Rank">1 = the most likely under the model.</param>
/// <param name="Path">The WAV file.</param>
/// <param name="Seed">The take's sampling seed.</param>
/// <param name="LogLikelihood">Sum of ln p(sample) over the generated samples (prompt excluded), untempered.</param>
/// <param name="Samples">Samples generated (and written).</param>
/// <param name="ClassesSha256">
/// SHA-256 (lower-case hex) of the generated mu-law classes in order: the take's identity, the same
/// for a checkpoint and seed on every machine and build (JIT or NativeAOT) with the CPU engine.
/// </param>
public sealed record RenderedTake(int Rank, string Path, ulong Seed, double LogLikelihood, long Samples, string ClassesSha256)
{
    /// <summary>LogLikelihood / Samples in nats (NaN for an empty take): the ranking key.</summary>
    public double LogLikelihoodPerSample => Samples > 0 ? LogLikelihood / Samples : double.NaN;
}

/// <summary>What <see cref="Renderer.Render"/> made.</summary>
/// <param name="Takes">In rank order (most likely first).</param>
/// <param name="SamplesPerTake">Samples written to each take.</param>
/// <param name="PromptSamples">Samples of prompt the takes continue from (0 = from silence).</param>
/// <param name="Elapsed">Wall time of priming and generation.</param>
/// <param name="SampleRate">Samples per second of audio.</param>
/// <param name="Interrupted">Stopped by cancellation before the requested duration (the files are valid and hold what was made).</param>
public sealed record RenderResult(IReadOnlyList<RenderedTake> Takes, long SamplesPerTake, int PromptSamples,
    TimeSpan Elapsed, int SampleRate, bool Interrupted)
{
    /// <summary>Audio seconds of one take.</summary>
    public double Seconds => SamplesPerTake / (double)SampleRate;

    /// <summary>Audio seconds of one take per wall second (all takes run at once).</summary>
    public double RealTimeFactor => Elapsed.TotalSeconds > 0 ? Seconds / Elapsed.TotalSeconds : 0;
}
