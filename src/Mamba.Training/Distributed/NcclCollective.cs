using Mamba.Training.Gpu;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Distributed;

/// <summary>
/// Collectives by NCCL on the tensors' device memory (one GPU a rank), enqueued on the CUDA legacy
/// default stream, the one TorchSharp's kernels run on, so they are ordered with the backward pass
/// and the optimiser without an explicit synchronisation. NVLink multicast stays off
/// (NCCL_NVLS_ENABLE=0 unless set otherwise), as the GPU hosts here require.
/// </summary>
public sealed unsafe class NcclCollective : ICollective
{
    private readonly NcclLibrary nccl;
    private nint comm;

    private NcclCollective(NcclLibrary nccl, nint comm, int rank, int size)
    {
        this.nccl = nccl;
        this.comm = comm;
        Rank = rank;
        Size = size;
        Description = $"NCCL {nccl.Version()} ({nccl.Path})";
    }

    public int Rank { get; }
    public int Size { get; }
    public string Description { get; }

    /// <summary>Rank 0 makes the id that every rank's communicator is built from; it travels in the rendezvous payload.</summary>
    public static byte[] NewUniqueId()
    {
        var nccl = NcclLibrary.Load();
        NcclLibrary.UniqueId id;
        nccl.Check(nccl.GetUniqueId(&id), "ncclGetUniqueId");
        return new ReadOnlySpan<byte>(&id, NcclLibrary.UniqueIdBytes).ToArray();
    }

    /// <summary>Joins the communicator; every rank calls this with the same id (blocks until all have).</summary>
    public static NcclCollective Create(ReadOnlySpan<byte> uniqueId, int rank, int size)
    {
        if (uniqueId.Length != NcclLibrary.UniqueIdBytes) throw new DistributedException($"an NCCL id has {NcclLibrary.UniqueIdBytes} bytes, rank 0 sent {uniqueId.Length}.");
        var nccl = NcclLibrary.Load();
        NcclLibrary.UniqueId id;
        uniqueId.CopyTo(new Span<byte>(&id, NcclLibrary.UniqueIdBytes));
        nint comm;
        nccl.Check(nccl.CommInitRank(&comm, size, id, rank), $"ncclCommInitRank (rank {rank} of {size})");
        return new NcclCollective(nccl, comm, rank, size);
    }

    public void AllReduceSum(Tensor flat)
    {
        var p = Pointer(flat);
        nccl.Check(nccl.AllReduce(p, p, (nuint)flat.numel(), NcclLibrary.Float32, NcclLibrary.Sum, comm, 0), "ncclAllReduce", comm);
    }

    public void Broadcast(Tensor flat)
    {
        var p = Pointer(flat);
        nccl.Check(nccl.Broadcast(p, p, (nuint)flat.numel(), NcclLibrary.Float32, 0, comm, 0), "ncclBroadcast", comm);
    }

    private static nint Pointer(Tensor t)
    {
        if (t.dtype != ScalarType.Float32 || !t.is_contiguous()) throw new ArgumentException("collectives take contiguous float32 tensors.");
        if (t.device_type != DeviceType.CUDA) throw new ArgumentException($"NCCL reduces GPU memory; this tensor is on {t.device}. Use --collective tcp on the CPU.");
        return TensorBuffer.Address(t);
    }

    public void Dispose()
    {
        if (comm == 0) return;
        nccl.CommDestroy(comm);
        comm = 0;
    }
}
