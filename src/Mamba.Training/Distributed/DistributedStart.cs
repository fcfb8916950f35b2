using System.Buffers.Binary;
using Mamba.Training.Runs;

namespace Mamba.Training.Distributed;

/// <summary>
/// How the ranks of a data-parallel run start: rank 0 settles where the run stands (fresh, or the
/// checkpoint it resumes from), then meets the others and hands them that step and, for NCCL, the
/// communicator's id; then every rank builds its collective.
/// </summary>
internal static class DistributedStart
{
    public static DataParallel Lead(TrainingWorld world, string runKey, long resumeStep, ITrainingObserver observer)
    {
        byte[] ncclId = world.Backend == CollectiveBackend.Nccl ? NcclCollective.NewUniqueId() : [];
        var payload = new byte[8 + ncclId.Length];
        BinaryPrimitives.WriteInt64LittleEndian(payload, resumeStep);
        ncclId.CopyTo(payload, 8);
        var rendezvous = Rendezvous.Lead(world, runKey, payload, observer.Message);
        return new DataParallel(Collective(world, rendezvous, ncclId));
    }

    public static (DataParallel Parallel, long ResumeStep) Join(TrainingWorld world, string runKey, ITrainingObserver observer)
    {
        var rendezvous = Rendezvous.Join(world, runKey);
        var payload = rendezvous.Payload;
        if (payload.Length < 8)
        {
            rendezvous.Dispose();
            throw new DistributedException($"rank {world.Rank}: rank 0's rendezvous answer holds {payload.Length} bytes, at least 8 expected.");
        }
        long resumeStep = BinaryPrimitives.ReadInt64LittleEndian(payload);
        observer.Message($"rank {world.Rank} of {world.Size}: joined rank 0 at {world.Rendezvous}; {(resumeStep < 0 ? "a fresh run" : $"resuming at step {resumeStep}")}");
        return (new DataParallel(Collective(world, rendezvous, payload[8..])), resumeStep);
    }

    private static ICollective Collective(TrainingWorld world, Rendezvous rendezvous, byte[] ncclId)
    {
        if (world.Backend == CollectiveBackend.Tcp) return new TcpCollective(rendezvous);
        try
        {
            return NcclCollective.Create(ncclId, world.Rank, world.Size);
        }
        finally
        {
            rendezvous.Dispose();   // NCCL keeps its own connections
        }
    }
}
