namespace Mamba.Audio.Generation;

/// <summary>Where a render stands, reported after every block (a struct: reporting allocates nothing).</summary>
/// <param name="SamplesDone">Samples written to each take so far.</param>
/// <param name="SamplesTotal">Samples each take will hold.</param>
/// <param name="Elapsed">Wall time since generation started (priming included).</param>
/// <param name="SampleRate">Samples per second of audio.</param>
public readonly record struct RenderProgress(long SamplesDone, long SamplesTotal, TimeSpan Elapsed, int SampleRate)
{
    /// <summary>Audio seconds of one take per wall second: above 1 is faster than real time.</summary>
    public double RealTimeFactor => Elapsed.TotalSeconds > 0 ? SamplesDone / (double)SampleRate / Elapsed.TotalSeconds : 0;

    /// <summary>Time left at the speed so far (zero before any sample).</summary>
    public TimeSpan Remaining => SamplesDone > 0
        ? TimeSpan.FromSeconds(Elapsed.TotalSeconds * (SamplesTotal - SamplesDone) / SamplesDone)
        : TimeSpan.Zero;
}
