using Mamba.Core.Benchmarking;
using static TorchSharp.torch;

namespace Mamba.Training.Transformer;

/// <summary>One measurement of <see cref="TransformerStepBenchmark"/>.</summary>
/// <param name="Context">Positions already in the KV cache when the timed steps run.</param>
/// <param name="Streams">Streams stepped together.</param>
/// <param name="SecondsPerStep">Median wall time of one <see cref="TransformerLM.Step"/> for all streams.</param>
/// <param name="SecondsPerSample">SecondsPerStep / Streams.</param>
/// <param name="CacheBytesPerStream">Keys and values held for one stream at this context.</param>
/// <param name="Steps">Timed steps (after one warm-up step); the median is reported.</param>
public sealed record TransformerStepRow(long Context, int Streams, double SecondsPerStep, double SecondsPerSample,
    long CacheBytesPerStream, int Steps);

/// <summary>
/// The Transformer baseline's cost per generated sample against context length: the KV cache is
/// set to the context's length (<see cref="TransformerCache.SetLengthForTiming"/>: no steps to get
/// there, the values do not change the cost), then single steps are timed there.
/// </summary>
public static class TransformerStepBenchmark
{
    public static TransformerStepRow Measure(TransformerLM model, long context, int streams = 1, int steps = 3)
    {
        if (context < 0) throw new ArgumentOutOfRangeException(nameof(context), context, "must be >= 0.");
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "must be >= 1.");
        var device = model.parameters().First().device;
        using var _ = no_grad();
        using var cache = new TransformerCache(model.Config, streams, context + steps + 1, device);
        cache.SetLengthForTiming(context);
        using var tokens = full(new long[] { streams }, 128L, dtype: ScalarType.Int64, device: device);

        void Step()
        {
            using var scope = NewDisposeScope();
            // Copying the logits to the host waits for a CUDA step to finish (a no-op on the CPU).
            model.Step(tokens, cache).cpu();
        }

        Step();   // warm-up
        double median = Timing.MedianSeconds(steps, Step);
        return new TransformerStepRow(context, streams, median, median / streams,
            TransformerCache.BytesPerStream(model.Config, context), steps);
    }
}
