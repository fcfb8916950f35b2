using ILGPU;

namespace Mamba.Core.Cuda;

/// <summary>
/// How the parts of a spread stream (<see cref="CudaSpreadStepKernel"/>) hand each other a vector: every part sends its
/// values, then receives everyone's into its shared memory. A struct type parameter rather than a flag, so that each
/// kernel holds the instructions of one way only (the cluster's need sm_90 and would not load elsewhere).
/// </summary>
public interface ICudaPartExchange
{
    /// <summary>Before the first exchange of a launch; every thread calls it. Ends in a group barrier.</summary>
    void Begin();

    /// <summary>
    /// This part's <paramref name="value"/> of exchange <paramref name="kind"/> (0 x_proj, 1 y, 2 residual, 3 logits):
    /// exchange word <paramref name="word"/>, or shared float <paramref name="at"/> of every part.
    /// </summary>
    void Send(ArrayView<ulong> ex, in CudaSpreadJob spread, long word, int at, float value, uint epoch, int parts, int kind);

    /// <summary>
    /// Every part's values of this exchange in shared memory at <paramref name="into"/> ([from, from + count) of the
    /// words): the <paramref name="round"/>-th of its kind in this launch. Every thread calls it; ends in a group barrier.
    /// </summary>
    void Receive(ArrayView<float> sh, int into, ArrayView<ulong> ex, in CudaSpreadJob spread, long from, int count, uint epoch, int kind, int round, int t, int T);

    /// <summary>After the last exchange of a launch; every thread calls it.</summary>
    void End();
}

public static class CudaPartExchange
{
    /// <summary>Words of a float and its epoch through L2 (<see cref="CudaExchange"/>): needs only that the parts run at once.</summary>
    public readonly struct ThroughL2 : ICudaPartExchange
    {
        public void Begin() => Group.Barrier();

        public void Send(ArrayView<ulong> ex, in CudaSpreadJob spread, long word, int at, float value, uint epoch, int parts, int kind) =>
            CudaExchange.Put(ex, spread.Address, word, value, epoch);

        public void Receive(ArrayView<float> sh, int into, ArrayView<ulong> ex, in CudaSpreadJob spread, long from, int count, uint epoch, int kind, int round, int t, int T) =>
            CudaExchange.Gather(sh, into, ex, spread.Address, from, count, epoch, spread.Flag, t, T);

        public void End() { }
    }

    /// <summary>
    /// Asynchronous stores into every part's shared memory, each counted by the receiver's transaction barrier for the
    /// exchange's kind (<see cref="CudaCluster"/>): the lane is one thread-block cluster, so its parts are scheduled
    /// together. A barrier of a kind is used once a round, so a round's parity names its phase. No part can send a
    /// round before every part has received the one before: it needs values that each part sends only after that.
    /// </summary>
    public readonly struct InCluster : ICudaPartExchange
    {
        // The barriers are set before any part may store to them, and no part stores into a group not yet started.
        public void Begin()
        {
            if (Group.IdxX == 0) CudaCluster.InitBarriers();
            CudaCluster.Barrier();
            Group.Barrier();
        }

        public void Send(ArrayView<ulong> ex, in CudaSpreadJob spread, long word, int at, float value, uint epoch, int parts, int kind)
        {
            for (int rank = 0; rank < parts; rank++) CudaCluster.Send(at, value, rank, kind);
        }

        // A part that waited past any step's time raises the failure flag; the step loop then ends the launch.
        public void Receive(ArrayView<float> sh, int into, ArrayView<ulong> ex, in CudaSpreadJob spread, long from, int count, uint epoch, int kind, int round, int t, int T)
        {
            if (t == 0) CudaCluster.Expect(kind, 4 * count);
            if (!CudaCluster.Wait(kind, round & 1) && t == 0) CudaExchange.Raise(ex, spread.Address, spread.Flag);
            Group.Barrier();
        }

        // A part's shared memory ends with it: none may leave while another could still store into it.
        public void End() => CudaCluster.Barrier();
    }
}
