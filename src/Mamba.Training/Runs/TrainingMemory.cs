using Mamba.Training.Models;
using static TorchSharp.torch;

namespace Mamba.Training.Runs;

/// <summary>
/// A lower bound on the memory a training configuration needs, known before anything is
/// allocated: each parameter's weight, gradient and two AdamW moments (16 bytes), and for every
/// sample of a step the activations that backpropagation must keep (at least 4 x d_model floats a
/// layer) and the logits with their gradient. A configuration whose bound does not fit is refused
/// with both figures, instead of allocating until the kernel kills the process. Being a lower
/// bound, it never refuses a configuration that fits; the real need is higher (see BENCHMARKS.md).
/// </summary>
public sealed record TrainingMemory(long Parameters, long ParameterBytes, long ActivationBytes)
{
    public long TotalBytes => ParameterBytes + ActivationBytes;

    public static TrainingMemory Estimate(AudioModelSpec spec, int batch, int crop)
    {
        long parameters = spec.Architecture == Architecture.Transformer ? spec.TransformerConfig.ParameterCount : spec.MambaConfig.ParameterCount;
        double tokens = (double)batch * crop;
        double activationFloats = tokens * ((double)spec.NLayer * 4 * spec.DModel + 2 * 256);
        return new TrainingMemory(parameters, Saturate(16.0 * parameters), Saturate(4 * activationFloats));
    }

    /// <summary>Throws <see cref="ArgumentException"/> with the estimate when it exceeds this machine's memory (CPU training; a GPU reports its own out-of-memory).</summary>
    public void Check(Device device)
    {
        if (device.type != TorchSharp.DeviceType.CPU) return;
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;   // the machine's memory, or the container's limit
        if (TotalBytes > available)
            throw new ArgumentException(
                $"this configuration needs at least {Gib(TotalBytes)} ({Parameters:N0} parameters: {Gib(ParameterBytes)} for weights, gradients and AdamW; " +
                $"activations of one step: {Gib(ActivationBytes)}), and this machine has {Gib(available)}. Use a smaller --preset/--d-model/--layers, --batch or --crop.");
    }

    private static long Saturate(double bytes) => bytes >= long.MaxValue ? long.MaxValue : (long)bytes;

    private static string Gib(long bytes) => $"{bytes / (double)(1L << 30):N1} GiB";
}
