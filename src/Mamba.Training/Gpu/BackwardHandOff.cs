using static TorchSharp.torch;

namespace Mamba.Training.Gpu;

/// <summary>
/// Disposes the managed wrappers of tensors that a custom autograd function's backward hands to
/// libtorch. On the CPU, backward runs on the caller's thread inside the caller's dispose scope,
/// which frees them. On CUDA it runs on libtorch's device thread, outside any scope, so the
/// incoming gradient and the returned gradients would keep their GPU memory until the garbage
/// collector finalises them: the base preset ran out of 139 GiB in 80 steps that way. libtorch
/// copies the returned tensors as soon as backward returns, so a thread's wrappers are disposed at
/// its next backward (and each thread keeps at most one backward's worth).
/// </summary>
internal static class BackwardHandOff
{
    [ThreadStatic] private static List<Tensor>? handedOver;

    /// <summary>
    /// Call at the end of backward: disposes this thread's previous hand-over and
    /// <paramref name="incoming"/> (the gradient backward received, used up by now), and keeps
    /// <paramref name="gradients"/> for disposal at the next call. Returns <paramref name="gradients"/>.
    /// </summary>
    public static List<Tensor> Return(Tensor incoming, List<Tensor> gradients)
    {
        if (handedOver is not null)
            foreach (var t in handedOver) t.Dispose();
        incoming.Dispose();
        handedOver = gradients.Where(t => t is not null).ToList();
        return gradients;
    }
}
