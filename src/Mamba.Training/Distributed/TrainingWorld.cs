using System.Globalization;
using System.Net;

namespace Mamba.Training.Distributed;

/// <summary>How reductions travel between the ranks of a data-parallel run.</summary>
public enum CollectiveBackend
{
    /// <summary>NCCL on the GPUs' memory (the GPU path; one GPU per rank).</summary>
    Nccl,

    /// <summary>TCP through rank 0, on host memory: the CPU path, and the stand-in that tests the rest of the machinery without GPUs.</summary>
    Tcp,
}

/// <summary>
/// One process's place in a data-parallel run: its rank, the number of ranks, where they meet
/// (rank 0 listens there) and how they reduce.
/// </summary>
public sealed record TrainingWorld(int Rank, int Size, IPEndPoint Rendezvous, CollectiveBackend Backend, TimeSpan JoinTimeout)
{
    /// <summary>The most ranks a run may have (a rank 0 with a socket per rank; far beyond any host here).</summary>
    public const int MaxSize = 1024;

    public static readonly TimeSpan DefaultJoinTimeout = TimeSpan.FromSeconds(120);

    public bool IsLeader => Rank == 0;

    /// <summary>Checks the combination; every problem names the option.</summary>
    public static TrainingWorld Create(int rank, int size, string rendezvous, CollectiveBackend backend, TimeSpan? joinTimeout = null)
    {
        if (size is < 1 or > MaxSize) throw new ArgumentException($"--world-size {size}: must be in 1..{MaxSize}.");
        if (rank < 0 || rank >= size) throw new ArgumentException($"--rank {rank}: must be in 0..{size - 1} for --world-size {size}.");
        return new TrainingWorld(rank, size, ParseEndPoint(rendezvous), backend, joinTimeout ?? DefaultJoinTimeout);
    }

    /// <summary>HOST:PORT with HOST an IPv4 or IPv6 address or a name that resolves; the port in 1..65535.</summary>
    public static IPEndPoint ParseEndPoint(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
            throw new ArgumentException($"--rendezvous {text}: expected HOST:PORT (for example 127.0.0.1:29500).");
        var host = text[..colon].Trim('[', ']');
        if (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            throw new ArgumentException($"--rendezvous {text}: the port must be a number in 1..65535.");
        if (IPAddress.TryParse(host, out var address)) return new IPEndPoint(address, port);
        IPAddress[] found;
        try
        {
            found = Dns.GetHostAddresses(host);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ArgumentException)
        {
            throw new ArgumentException($"--rendezvous {text}: cannot resolve {host}: {e.Message}", e);
        }
        if (found.Length == 0) throw new ArgumentException($"--rendezvous {text}: {host} resolves to no address.");
        return new IPEndPoint(found.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? found[0], port);
    }

    /// <summary>
    /// The crops of a global batch this rank reads: a contiguous share [First, First + Count) of the
    /// batch's crop indices. Crop i of step s is a function of (seed, step, i) alone, so the ranks
    /// read disjoint data, together exactly the crops one process reads, whatever the world size:
    /// that is what lets a run resume on any number of ranks.
    /// </summary>
    public (int First, int Count) Share(int globalBatch)
    {
        if (globalBatch % Size != 0)
            throw new ArgumentException($"--batch {globalBatch} does not divide among {Size} ranks: use a multiple of {Size} (each rank takes batch / world-size crops).");
        int count = globalBatch / Size;
        return (Rank * count, count);
    }
}
