using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mamba.Training.Distributed;

/// <summary>
/// Where the ranks of a run meet: rank 0 listens on the rendezvous address, every other rank
/// connects (retrying while rank 0 is not up yet) and says who it is and which run it belongs to.
/// Once all have arrived, rank 0 answers each with the same payload (the NCCL id and the step to
/// resume from). A rank started with another world size, the same rank twice or a rank of another
/// run (other options or corpus) fails the run at once with the reason, on both sides; a connection
/// that does not speak the protocol is dropped and waited past.
/// </summary>
/// <remarks>
/// Wire format, little-endian: hello = "MAMBARDZ", u32 version, u32 rank, u32 size, u32 n, n bytes
/// of run key (UTF-8); answer = u32 0, u32 n, n bytes of payload; or u32 1, u32 n, n bytes of reason.
/// </remarks>
public sealed class Rendezvous : IDisposable
{
    private static readonly byte[] Magic = "MAMBARDZ"u8.ToArray();
    private const int Version = 1;
    private const int MaxKeyBytes = 4096, MaxPayloadBytes = 1 << 16, MaxReasonBytes = 4096;
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);

    private Rendezvous(TrainingWorld world, Socket?[] peers, byte[] payload)
    {
        World = world;
        Peers = peers;
        Payload = payload;
    }

    public TrainingWorld World { get; }

    /// <summary>On rank 0: the socket of rank r at [r] ([0] is null). On the others: rank 0's socket at [0].</summary>
    public Socket?[] Peers { get; }

    /// <summary>What rank 0 handed every rank.</summary>
    public byte[] Payload { get; }

    /// <summary>
    /// Rank 0's side: waits for every other rank, then hands each <paramref name="payload"/>.
    /// <paramref name="runKey"/> is what every rank must agree on (options, model, corpus).
    /// </summary>
    public static Rendezvous Lead(TrainingWorld world, string runKey, byte[] payload, Action<string>? progress = null)
    {
        if (!world.IsLeader) throw new InvalidOperationException("only rank 0 leads the rendezvous.");
        if (payload.Length > MaxPayloadBytes) throw new ArgumentException($"a rendezvous payload holds at most {MaxPayloadBytes} bytes.");
        var peers = new Socket?[world.Size];
        if (world.Size == 1) return new Rendezvous(world, peers, payload);
        using var listener = new Socket(world.Rendezvous.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(world.Rendezvous);
            listener.Listen(world.Size + 16);
        }
        catch (SocketException e)
        {
            throw new DistributedException($"rank 0 cannot listen on the rendezvous address {world.Rendezvous}: {e.Message} (is another run using it? choose another --rendezvous port).", e);
        }
        progress?.Invoke($"rank 0: waiting on {world.Rendezvous} for {world.Size - 1} more rank(s), at most {world.JoinTimeout.TotalSeconds:0} s");
        var clock = Stopwatch.StartNew();
        int arrived = 1;
        try
        {
            while (arrived < world.Size)
            {
                var left = world.JoinTimeout - clock.Elapsed;
                if (left <= TimeSpan.Zero || !listener.Poll(left, SelectMode.SelectRead))
                {
                    var missing = Enumerable.Range(1, world.Size - 1).Where(r => peers[r] is null);
                    throw new DistributedException($"rendezvous at {world.Rendezvous}: {arrived} of {world.Size} ranks arrived within {world.JoinTimeout.TotalSeconds:0} s; missing rank(s) {string.Join(", ", missing)}. Start them with the same options and --rendezvous {world.Rendezvous}.");
                }
                var socket = listener.Accept();
                var hello = ReadHello(socket);
                if (hello is null) { socket.Dispose(); continue; }   // not one of ours: drop it, wait on
                var (rank, size, key) = hello.Value;
                string? problem =
                    size != world.Size ? $"rank {rank} was started with --world-size {size}, rank 0 with {world.Size}" :
                    rank < 1 || rank >= world.Size ? $"a process asked for rank {rank}; ranks 1..{world.Size - 1} join rank 0" :
                    peers[rank] is not null ? $"rank {rank} joined twice: two processes were started with --rank {rank}" :
                    key != runKey ? $"rank {rank} is not running the same training as rank 0 (options, model or corpus differ): rank {rank}: {key}; rank 0: {runKey}" :
                    null;
                if (problem is not null)
                {
                    Refuse(socket, problem);
                    throw new DistributedException($"rendezvous at {world.Rendezvous}: {problem}.");
                }
                peers[rank] = socket;
                arrived++;
                progress?.Invoke($"rank 0: rank {rank} joined ({arrived} of {world.Size})");
            }
            var answer = new byte[8 + payload.Length];
            BinaryPrimitives.WriteInt32LittleEndian(answer.AsSpan(4), payload.Length);
            payload.CopyTo(answer.AsSpan(8));
            for (int r = 1; r < world.Size; r++) Send(peers[r]!, answer, r);
            return new Rendezvous(world, peers, payload);
        }
        catch
        {
            foreach (var p in peers) p?.Dispose();
            throw;
        }
    }

    /// <summary>Rank r &gt; 0's side: connects to rank 0 (retrying until the join timeout), says who it is, waits for the payload.</summary>
    public static Rendezvous Join(TrainingWorld world, string runKey)
    {
        if (world.IsLeader) throw new InvalidOperationException("rank 0 leads the rendezvous; the others join it.");
        var clock = Stopwatch.StartNew();
        Socket socket;
        while (true)
        {
            socket = new Socket(world.Rendezvous.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Connect(world.Rendezvous);
                break;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.TimedOut or SocketError.HostUnreachable or SocketError.NetworkUnreachable)
            {
                socket.Dispose();
                if (clock.Elapsed >= world.JoinTimeout)
                    throw new DistributedException($"rank {world.Rank}: no rank 0 at {world.Rendezvous} within {world.JoinTimeout.TotalSeconds:0} s ({e.SocketErrorCode}). Start rank 0 with the same --rendezvous.", e);
                Thread.Sleep(100);
            }
        }
        try
        {
            var key = Encoding.UTF8.GetBytes(runKey);
            if (key.Length > MaxKeyBytes) throw new ArgumentException($"a run key holds at most {MaxKeyBytes} bytes.");
            var hello = new byte[Magic.Length + 16 + key.Length];
            Magic.CopyTo(hello, 0);
            var h = hello.AsSpan(Magic.Length);
            BinaryPrimitives.WriteInt32LittleEndian(h, Version);
            BinaryPrimitives.WriteInt32LittleEndian(h[4..], world.Rank);
            BinaryPrimitives.WriteInt32LittleEndian(h[8..], world.Size);
            BinaryPrimitives.WriteInt32LittleEndian(h[12..], key.Length);
            key.CopyTo(h[16..]);
            Send(socket, hello, 0);
            // Rank 0 answers once every rank is in: allow its whole join timeout and some.
            socket.ReceiveTimeout = (int)Math.Min(int.MaxValue, (world.JoinTimeout + TimeSpan.FromSeconds(30)).TotalMilliseconds);
            var head = new byte[8];
            ReceiveAll(socket, head, world.Rank, "rank 0's answer");
            int status = BinaryPrimitives.ReadInt32LittleEndian(head);
            int length = BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(4));
            int limit = status == 0 ? MaxPayloadBytes : MaxReasonBytes;
            if (status is not (0 or 1) || length < 0 || length > limit)
                throw new DistributedException($"rank {world.Rank}: {world.Rendezvous} answered with something that is not a Mamba.Audio rendezvous (status {status}, length {length}).");
            var body = new byte[length];
            ReceiveAll(socket, body, world.Rank, "rank 0's answer");
            if (status == 1) throw new DistributedException($"rank {world.Rank}: rank 0 refused this rank: {Encoding.UTF8.GetString(body)}.");
            socket.ReceiveTimeout = 0;
            var peers = new Socket?[world.Size];
            peers[0] = socket;
            return new Rendezvous(world, peers, body);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var p in Peers) p?.Dispose();
    }

    /// <summary>A hello, or null for a connection that does not speak the protocol (it is dropped).</summary>
    private static (int Rank, int Size, string Key)? ReadHello(Socket socket)
    {
        socket.ReceiveTimeout = (int)HelloTimeout.TotalMilliseconds;
        socket.NoDelay = true;
        try
        {
            var head = new byte[Magic.Length + 16];
            if (!TryReceiveAll(socket, head) || !head.AsSpan(0, Magic.Length).SequenceEqual(Magic)) return null;
            var h = head.AsSpan(Magic.Length);
            int version = BinaryPrimitives.ReadInt32LittleEndian(h), rank = BinaryPrimitives.ReadInt32LittleEndian(h[4..]);
            int size = BinaryPrimitives.ReadInt32LittleEndian(h[8..]), keyLength = BinaryPrimitives.ReadInt32LittleEndian(h[12..]);
            if (version != Version)
            {
                Refuse(socket, $"rendezvous protocol version {version}; rank 0 speaks {Version} (the ranks run different builds)");
                return null;
            }
            if (keyLength is < 0 or > MaxKeyBytes) return null;
            var key = new byte[keyLength];
            if (!TryReceiveAll(socket, key)) return null;
            socket.ReceiveTimeout = 0;
            return (rank, size, Encoding.UTF8.GetString(key));
        }
        catch (SocketException)
        {
            return null;
        }
    }

    private static void Refuse(Socket socket, string reason)
    {
        try
        {
            var text = Encoding.UTF8.GetBytes(reason.Length > 1000 ? reason[..1000] : reason);
            var answer = new byte[8 + text.Length];
            BinaryPrimitives.WriteInt32LittleEndian(answer, 1);
            BinaryPrimitives.WriteInt32LittleEndian(answer.AsSpan(4), text.Length);
            text.CopyTo(answer.AsSpan(8));
            socket.Send(answer);
        }
        catch (SocketException)
        {
            // It is gone; the run fails on rank 0's side with the same reason.
        }
        finally
        {
            socket.Dispose();
        }
    }

    private static bool TryReceiveAll(Socket socket, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int n = socket.Receive(buffer);
            if (n == 0) return false;
            buffer = buffer[n..];
        }
        return true;
    }

    internal static void ReceiveAll(Socket socket, Span<byte> buffer, int peer, string what)
    {
        try
        {
            if (!TryReceiveAll(socket, buffer))
                throw new DistributedException($"rank {peer} closed its connection while sending {what} (it exited or crashed: see its output).");
        }
        catch (SocketException e)
        {
            throw new DistributedException($"the connection with rank {peer} failed while waiting for {what}: {e.SocketErrorCode} (it exited, crashed or hung).", e);
        }
    }

    internal static void Send(Socket socket, ReadOnlySpan<byte> data, int peer)
    {
        try
        {
            while (!data.IsEmpty) data = data[socket.Send(data)..];
        }
        catch (SocketException e)
        {
            throw new DistributedException($"sending to rank {peer} failed: {e.SocketErrorCode} (it exited or crashed: see its output).", e);
        }
    }
}
