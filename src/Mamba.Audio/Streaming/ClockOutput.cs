using System.Diagnostics;

namespace Mamba.Audio.Streaming;

/// <summary>
/// No sound card: takes each block when a real-time clock says it is due, so a chain that only
/// records (capture | wav) runs at the speed of sound and its underruns are counted the same way.
/// </summary>
public sealed class ClockOutput(int sampleRate) : AudioOutput
{
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private long samples;

    public override string Description => "no sound card (a real-time clock)";
    public override long LatencySamples => 0;

    public override void Write(ReadOnlySpan<float> block)
    {
        samples += block.Length;
        double due = samples / (double)sampleRate;
        double wait = due - clock.Elapsed.TotalSeconds;
        if (wait > 0.002) Thread.Sleep(TimeSpan.FromSeconds(wait - 0.001));
        while (clock.Elapsed.TotalSeconds < due) Thread.SpinWait(50);
    }

    public override void Drain() { }
    public override void Dispose() { }
}
