using System.Diagnostics;
using Mamba.Core.Engines;
using Mamba.Core.Sampling;

namespace Mamba.Audio.Service.Batching;

/// <summary>One probe point: a batch step of <see cref="Streams"/> streams took <see cref="StepMilliseconds"/> (median).</summary>
public sealed record CapacityPoint(int Streams, double StepMilliseconds);

/// <summary>
/// How many streams a model's batch keeps in real time on this machine, measured before serving:
/// a step makes <see cref="ChunkMilliseconds"/> of audio for every stream in it, so the batch keeps
/// up while a step of N streams takes less. <see cref="RealTimeStreams"/> is where the measured step
/// time, interpolated between the points, reaches <see cref="Headroom"/> of the chunk (the rest is
/// left to the sessions and the network on the same machine).
/// </summary>
public sealed record BatchCapacity(IReadOnlyList<CapacityPoint> Points, double ChunkMilliseconds, double Headroom, int RealTimeStreams)
{
    /// <summary>Share of a chunk's duration a step may take and still count as keeping up.</summary>
    public const double DefaultHeadroom = 0.8;

    /// <summary>
    /// Steps 1, 2, 4, ... streams (random settings, silence in) through <paramref name="engine"/> until a step
    /// takes longer than a chunk of audio or every slot is used; the streams are closed again after.
    /// Costs a fraction of a second for models that are real time, about a chunk's compute for those that are not.
    /// </summary>
    public static BatchCapacity Measure(IStepEngine engine, int chunk, int sampleRate, double headroom = DefaultHeadroom)
    {
        if (chunk < 1) throw new ArgumentOutOfRangeException(nameof(chunk), chunk, "a chunk is at least one sample.");
        if (!(headroom is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(headroom), headroom, "headroom is in (0, 1].");
        if (engine.ActiveCount != 0) throw new InvalidOperationException("the capacity is measured on an engine with no open streams.");
        double chunkMs = 1000.0 * chunk / sampleRate;
        var points = new List<CapacityPoint>();
        var opened = new List<int>();
        var output = new byte[engine.Slots * chunk];
        try
        {
            for (int streams = 1; ; streams = Math.Min(2 * streams, engine.Slots))
            {
                while (opened.Count < streams) opened.Add(engine.Open(SamplingSettings.Default((ulong)opened.Count)));
                // Warm: the first launch, caches, and the JIT's second tier (it recompiles a method after about 30 calls
                // and 100 ms; measured cold, one small stream took 15 ms a step instead of 1.6).
                var warm = Stopwatch.StartNew();
                int calls = 0;
                do { engine.Generate(chunk, output); calls++; }
                while (streams == 1 && (calls < 40 || warm.ElapsedMilliseconds < 300) && warm.ElapsedMilliseconds < 3000);
                var times = new double[5];
                for (int i = 0; i < times.Length; i++)
                {
                    long start = Stopwatch.GetTimestamp();
                    engine.Generate(chunk, output);
                    times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
                Array.Sort(times);
                points.Add(new CapacityPoint(streams, times[2]));
                if (times[2] > chunkMs || streams == engine.Slots) break;
            }
        }
        finally
        {
            foreach (int slot in opened) engine.Close(slot);
        }
        return new BatchCapacity(points, chunkMs, headroom, Interpolate(points, headroom * chunkMs));
    }

    /// <summary>The stream count where the step time reaches <paramref name="budgetMs"/>, linear between measured points; 0 if one stream exceeds it.</summary>
    private static int Interpolate(IReadOnlyList<CapacityPoint> points, double budgetMs)
    {
        if (points[0].StepMilliseconds > budgetMs) return 0;
        for (int i = 1; i < points.Count; i++)
        {
            var (a, b) = (points[i - 1], points[i]);
            if (b.StepMilliseconds <= budgetMs) continue;
            double slope = (b.StepMilliseconds - a.StepMilliseconds) / (b.Streams - a.Streams);
            return slope <= 0 ? a.Streams : a.Streams + (int)((budgetMs - a.StepMilliseconds) / slope);
        }
        return points[^1].Streams;   // every slot kept up
    }

    /// <summary>The measured points as one line, e.g. "1: 1.6 ms, 2: 2.1 ms, 4: 2.9 ms".</summary>
    public string Describe() => string.Join(", ", Points.Select(p => $"{p.Streams}: {p.StepMilliseconds:0.0} ms"));
}
