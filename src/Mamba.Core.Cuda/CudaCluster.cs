using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Mamba.Core.Cuda;

/// <summary>
/// Thread-block clusters (compute capability 9.0, the H100 and H200), in device code: the groups of a cluster are
/// scheduled together on one GPC and each can store into the others' shared memory (distributed shared memory). For
/// <see cref="CudaSpreadStepKernel"/> this replaces an exchange through L2 (a store, then a reader polling until the
/// step's epoch shows: 2,500-4,700 cycles on the H200, BENCHMARKS "phase profile") by asynchronous stores into every
/// part's shared memory, each counted by the receiving part's transaction barrier (mbarrier), on which the receiver waits.
/// A cluster barrier (barrier.cluster) would do as well but acquires at cluster scope, which empties L1: the parts' weight
/// slices, which live there, then came from L2 (L1 hit rate 38% against 87%, Nsight Compute on the H200). Waiting on a
/// barrier of its own shared memory acquires at the group's scope only, and L1 stays.
/// ILGPU 1.5.3 has none of this, so it is inline PTX. The transaction barriers are <see cref="Barriers"/> words of static
/// shared memory (mamba_exchange_bars) that <see cref="CudaClusterKernel"/> declares in the PTX it loads; ILGPU names a
/// kernel's dynamic shared memory __dyn_shared_alloca, and <c>SharedMemory.GetDynamic</c> starts at its first byte. Only
/// called where CudaAsm is supported and the kernel was loaded in clusters.
/// </summary>
public static class CudaCluster
{
    /// <summary>Transaction barriers a group holds: one for each exchange of a step (x_proj, y, residual, logits).</summary>
    public const int Barriers = 4;

    /// <summary>Polls of a barrier before a part gives up on the others: far past any step (each poll may suspend the thread a while).</summary>
    public const int WaitLimit = 1 << 20;

    /// <summary>Every thread of every group of the cluster arrives and waits for all the others (once a launch: it empties L1).</summary>
    public static void Barrier() => CudaAsm.Emit("barrier.cluster.arrive.release; barrier.cluster.wait.acquire;");

    /// <summary>Thread 0: this group's transaction barriers, each completing a phase on one arrival and its bytes. A cluster barrier must follow before any part stores to them.</summary>
    public static void InitBarriers() =>
        CudaAsm.Emit("mbarrier.init.shared::cta.b64 [mamba_exchange_bars], 1; mbarrier.init.shared::cta.b64 [mamba_exchange_bars+8], 1; " +
                     "mbarrier.init.shared::cta.b64 [mamba_exchange_bars+16], 1; mbarrier.init.shared::cta.b64 [mamba_exchange_bars+24], 1; " +
                     "fence.mbarrier_init.release.cluster;");

    /// <summary>
    /// Stores <paramref name="value"/> at float <paramref name="index"/> of the dynamic shared memory of the cluster's
    /// group <paramref name="rank"/> (this group too, if it is its own rank), counted as four bytes by that group's
    /// transaction barrier <paramref name="barrier"/>.
    /// </summary>
    public static void Send(int index, float value, int rank, int barrier)
    {
        Input<int> bytes = 4 * index;
        Input<int> target = rank;
        Input<uint> bits = Interop.FloatAsInt(value);
        Input<int> bar = 8 * barrier;
        CudaAsm.EmitRef("{ .reg .u64 mamba_a; .reg .u32 mamba_local, mamba_remote, mamba_lbar, mamba_rbar; " +
                        "mov.u64 mamba_a, __dyn_shared_alloca; cvt.u32.u64 mamba_local, mamba_a; add.u32 mamba_local, mamba_local, %0; " +
                        "mapa.shared::cluster.u32 mamba_remote, mamba_local, %1; " +
                        "mov.u64 mamba_a, mamba_exchange_bars; cvt.u32.u64 mamba_lbar, mamba_a; add.u32 mamba_lbar, mamba_lbar, %3; " +
                        "mapa.shared::cluster.u32 mamba_rbar, mamba_lbar, %1; " +
                        "st.async.shared::cluster.mbarrier::complete_tx::bytes.b32 [mamba_remote], %2, [mamba_rbar]; }",
            ref bytes, ref target, ref bits, ref bar);
    }

    /// <summary>Thread 0: this group's arrival at barrier <paramref name="barrier"/>, expecting <paramref name="bytes"/> from the parts' stores.</summary>
    public static void Expect(int barrier, int bytes)
    {
        Input<int> bar = 8 * barrier;
        Input<int> count = bytes;
        CudaAsm.EmitRef("{ .reg .u64 mamba_a, mamba_state; .reg .u32 mamba_bar; mov.u64 mamba_a, mamba_exchange_bars; cvt.u32.u64 mamba_bar, mamba_a; " +
                        "add.u32 mamba_bar, mamba_bar, %0; mbarrier.arrive.expect_tx.shared::cta.b64 mamba_state, [mamba_bar], %1; }", ref bar, ref count);
    }

    /// <summary>
    /// Waits until barrier <paramref name="barrier"/> completes the phase of parity <paramref name="parity"/> (this group
    /// arrived and every expected byte came). False if it did not within <see cref="WaitLimit"/> polls.
    /// </summary>
    public static bool Wait(int barrier, int parity)
    {
        Input<int> bar = 8 * barrier;
        Input<int> phase = parity;
        for (int polls = 0; polls < WaitLimit; polls++)
        {
            Output<uint> done = default;
            CudaAsm.EmitRef("{ .reg .pred mamba_p; .reg .u64 mamba_a; .reg .u32 mamba_bar; mov.u64 mamba_a, mamba_exchange_bars; cvt.u32.u64 mamba_bar, mamba_a; " +
                            "add.u32 mamba_bar, mamba_bar, %1; mbarrier.try_wait.parity.shared::cta.b64 mamba_p, [mamba_bar], %2; selp.u32 %0, 1, 0, mamba_p; }",
                ref done, ref bar, ref phase);
            if (done.Value != 0) return true;
        }
        return false;
    }
}
