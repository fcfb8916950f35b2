using static TorchSharp.torch;

namespace Mamba.Training.Distributed;

/// <summary>
/// The two collectives data-parallel training needs, on contiguous float32 tensors, in place. Every
/// rank calls the same operations in the same order with tensors of the same length; a mismatch is
/// reported as an error naming both sides where the backend can tell.
/// </summary>
public interface ICollective : IDisposable
{
    int Rank { get; }
    int Size { get; }

    /// <summary>What it runs on, for the run's header ("NCCL 2.21.5", "TCP through rank 0").</summary>
    string Description { get; }

    /// <summary>Every rank's tensor becomes the element-wise sum over the ranks.</summary>
    void AllReduceSum(Tensor flat);

    /// <summary>Every rank's tensor becomes rank 0's.</summary>
    void Broadcast(Tensor flat);
}
