using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Mamba.Training.Gpu;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Distributed;

/// <summary>
/// Collectives over the rendezvous sockets, through rank 0 (a star): for an all-reduce every rank
/// sends its floats to rank 0, which adds them in rank order (so every run adds in the same order)
/// and sends the sum back; a broadcast is rank 0 sending to each. Host memory only: a CUDA tensor is
/// copied to the host and back. This is the CPU path and the stand-in that tests the launcher,
/// sharding, rendezvous and checkpoints without GPUs; it is not meant to be fast.
/// </summary>
/// <remarks>Frame: u32 operation (1 all-reduce, 2 broadcast), u32 sequence number, u64 element count, then the floats.</remarks>
public sealed class TcpCollective : ICollective
{
    private const int AllReduceOp = 1, BroadcastOp = 2, HeaderBytes = 16;
    private readonly Rendezvous rendezvous;
    private readonly byte[] header = new byte[HeaderBytes];
    private float[] received = [];
    private uint sequence;

    public TcpCollective(Rendezvous rendezvous)
    {
        this.rendezvous = rendezvous;
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the TCP collective sends floats little-endian as they lie in memory.");
    }

    public int Rank => rendezvous.World.Rank;
    public int Size => rendezvous.World.Size;
    public string Description => Size == 1 ? "one process" : $"TCP through rank 0 ({rendezvous.World.Rendezvous})";

    public void AllReduceSum(Tensor flat) => Run(flat, AllReduceOp);

    public void Broadcast(Tensor flat) => Run(flat, BroadcastOp);

    public void Dispose() => rendezvous.Dispose();

    private void Run(Tensor flat, int op)
    {
        if (flat.dtype != ScalarType.Float32 || !flat.is_contiguous()) throw new ArgumentException("collectives take contiguous float32 tensors.");
        sequence++;
        if (Size == 1) return;
        try
        {
            if (flat.device_type == DeviceType.CPU)
            {
                RunOnHost(HostSpan(flat), op);
                return;
            }
            using var host = flat.cpu();
            RunOnHost(HostSpan(host), op);
            flat.copy_(host);
        }
        catch (DistributedException)
        {
            // Close every connection, so the other ranks fail now with "closed its connection" instead of waiting forever.
            rendezvous.Dispose();
            throw;
        }
    }

    private static unsafe Span<float> HostSpan(Tensor t) =>
        new((void*)TensorBuffer.Address(t), checked((int)t.numel()));

    private void RunOnHost(Span<float> data, int op)
    {
        var bytes = MemoryMarshal.AsBytes(data);
        if (Rank == 0)
        {
            if (op == AllReduceOp)
            {
                if (received.Length < data.Length) received = new float[data.Length];
                var incoming = received.AsSpan(0, data.Length);
                for (int r = 1; r < Size; r++)
                {
                    var socket = rendezvous.Peers[r]!;
                    ReceiveHeader(socket, r, op, data.Length);
                    Rendezvous.ReceiveAll(socket, MemoryMarshal.AsBytes(incoming), r, "its part of an all-reduce");
                    for (int i = 0; i < data.Length; i++) data[i] += incoming[i];
                }
            }
            for (int r = 1; r < Size; r++)
            {
                var socket = rendezvous.Peers[r]!;
                Rendezvous.Send(socket, Header(op, data.Length), r);
                Rendezvous.Send(socket, bytes, r);
            }
        }
        else
        {
            var leader = rendezvous.Peers[0]!;
            if (op == AllReduceOp)
            {
                Rendezvous.Send(leader, Header(op, data.Length), 0);
                Rendezvous.Send(leader, bytes, 0);
            }
            ReceiveHeader(leader, 0, op, data.Length);
            Rendezvous.ReceiveAll(leader, bytes, 0, op == AllReduceOp ? "the sum of an all-reduce" : "a broadcast");
        }
    }

    private byte[] Header(int op, long count)
    {
        BinaryPrimitives.WriteInt32LittleEndian(header, op);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), sequence);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), count);
        return header;
    }

    private void ReceiveHeader(Socket socket, int peer, int op, long count)
    {
        Span<byte> h = stackalloc byte[HeaderBytes];
        Rendezvous.ReceiveAll(socket, h, peer, "a collective's header");
        int theirOp = BinaryPrimitives.ReadInt32LittleEndian(h);
        uint theirSequence = BinaryPrimitives.ReadUInt32LittleEndian(h[4..]);
        long theirCount = BinaryPrimitives.ReadInt64LittleEndian(h[8..]);
        if (theirOp != op || theirSequence != sequence || theirCount != count)
            throw new DistributedException($"rank {peer} and rank {Rank} are out of step: rank {peer} sent {Name(theirOp)} #{theirSequence} of {theirCount} floats, " +
                $"rank {Rank} expected {Name(op)} #{sequence} of {count} (the ranks run different models or code).");
    }

    private static string Name(int op) => op switch { AllReduceOp => "an all-reduce", BroadcastOp => "a broadcast", _ => $"operation {op}" };
}
