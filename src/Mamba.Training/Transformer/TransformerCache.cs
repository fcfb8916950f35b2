using static TorchSharp.torch;

namespace Mamba.Training.Transformer;

/// <summary>
/// The key/value cache of <see cref="TransformerLM.Step"/>: grows by one position per step, so
/// memory and the cost of each step grow with the context, unlike Mamba's fixed state.
/// Preallocated to a capacity to avoid re-copying on every step.
/// </summary>
public sealed class TransformerCache : IDisposable
{
    private readonly Tensor keys;    // (layers, N, h, capacity, hd)
    private readonly Tensor values;  // (layers, N, h, capacity, hd)

    public TransformerCache(TransformerConfig config, long streams, long capacity, Device? device = null)
    {
        Capacity = capacity;
        keys = zeros(new long[] { config.NLayer, streams, config.NHead, capacity, config.HeadDim }, device: device);
        values = zeros(new long[] { config.NLayer, streams, config.NHead, capacity, config.HeadDim }, device: device);
    }

    public long Capacity { get; }

    /// <summary>Positions held so far.</summary>
    public long Length { get; private set; }

    /// <summary>Bytes held by keys and values at full capacity.</summary>
    public long Bytes => 2 * keys.numel() * 4;

    /// <summary>Bytes the cache would need for the current length.</summary>
    public long BytesUsed => Capacity == 0 ? 0 : Bytes * Length / Capacity;

    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        if (Length >= Capacity) throw new InvalidOperationException($"the cache holds {Capacity} positions; allocate a larger one.");
        int t = (int)Length;
        keys[layer, .., .., t] = k.squeeze(2);
        values[layer, .., .., t] = v.squeeze(2);
        return (keys[layer, .., .., ..(t + 1)], values[layer, .., .., ..(t + 1)]);
    }

    internal void Advance() => Length++;

    /// <summary>
    /// Sets the length to <paramref name="length"/> positions without computing them: those positions
    /// hold whatever the buffers hold (zeros in a fresh cache). Only for timing: the cost of a step
    /// depends on how many positions it attends to, not on their values, so a benchmark can time a
    /// step at a 160k-sample context without 160k steps to get there.
    /// </summary>
    public void SetLengthForTiming(long length)
    {
        if (length < 0 || length > Capacity)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"must be in 0..{Capacity} (the capacity).");
        Length = length;
    }

    /// <summary>Bytes of keys and values per stream at <paramref name="positions"/>: 2 x layers x positions x d_model floats.</summary>
    public static long BytesPerStream(TransformerConfig config, long positions) => 2L * config.NLayer * positions * config.DModel * sizeof(float);

    public void Dispose()
    {
        keys.Dispose();
        values.Dispose();
    }
}
