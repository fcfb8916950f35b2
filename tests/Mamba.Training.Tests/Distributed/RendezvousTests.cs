using System.Net;
using System.Net.Sockets;
using Mamba.Training.Distributed;

namespace Mamba.Training.Tests.Distributed;

/// <summary>
/// The rendezvous on loopback, every rank a thread of this process with its own sockets: the
/// payload reaches every rank, and each misconfiguration fails the run on both sides with a reason
/// that names it; a connection that does not speak the protocol is waited past.
/// </summary>
public class RendezvousTests
{
    internal static TrainingWorld World(int rank, int size, int port, double timeoutSeconds = 20) =>
        TrainingWorld.Create(rank, size, $"127.0.0.1:{port}", CollectiveBackend.Tcp, TimeSpan.FromSeconds(timeoutSeconds));

    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Rank 0 and ranks 1.. on threads; each gets its rendezvous or the exception it threw.</summary>
    internal static (Rendezvous? Rendezvous, Exception? Error)[] Meet(int size, Func<int, TrainingWorld> world, Func<int, string> key, byte[] payload)
    {
        var results = new (Rendezvous?, Exception?)[size];
        var threads = Enumerable.Range(0, size).Select(r => new Thread(() =>
        {
            try
            {
                results[r] = (r == 0 ? Rendezvous.Lead(world(r), key(r), payload) : Rendezvous.Join(world(r), key(r)), null);
            }
            catch (Exception e)
            {
                results[r] = (null, e);
            }
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(60)), "a rank hung in the rendezvous");
        return results;
    }

    [Fact]
    public void EveryRankGetsRankZerosPayload()
    {
        int port = FreePort();
        var payload = Enumerable.Range(0, 136).Select(i => (byte)(i * 7)).ToArray();
        var met = Meet(4, r => World(r, 4, port), _ => "run A", payload);
        try
        {
            foreach (var (rendezvous, error) in met) Assert.Null(error);
            for (int r = 1; r < 4; r++) Assert.Equal(payload, met[r].Rendezvous!.Payload);
            Assert.All(Enumerable.Range(1, 3), r => Assert.NotNull(met[0].Rendezvous!.Peers[r]));
        }
        finally
        {
            foreach (var (rendezvous, _) in met) rendezvous?.Dispose();
        }
    }

    [Fact]
    public void ARankOfAnotherWorldSize_FailsBothSides_NamingBothSizes()
    {
        int port = FreePort();
        var met = Meet(2, r => r == 0 ? World(0, 2, port) : World(1, 3, port), _ => "run A", []);
        Assert.Contains("rank 1 was started with --world-size 3, rank 0 with 2", met[0].Error!.Message);
        Assert.Contains("rank 0 refused this rank: rank 1 was started with --world-size 3", met[1].Error!.Message);
    }

    [Fact]
    public void ARankOfAnotherRun_FailsBothSides()
    {
        int port = FreePort();
        var met = Meet(2, r => World(r, 2, port), r => r == 0 ? "lr 0.002" : "lr 0.003", []);
        Assert.Contains("rank 1 is not running the same training as rank 0", met[0].Error!.Message);
        Assert.Contains("lr 0.003", met[0].Error!.Message);
        Assert.IsType<DistributedException>(met[1].Error);
    }

    [Fact]
    public void TheSameRankTwice_FailsTheRun()
    {
        int port = FreePort();
        // Ranks 1 and "2" both claim rank 1 in a world of three.
        var met = Meet(3, r => World(Math.Min(r, 1), 3, port), _ => "run A", []);
        Assert.Contains("rank 1 joined twice", met[0].Error!.Message);
        Assert.Contains(met.Skip(1), m => m.Error is DistributedException e && e.Message.Contains("joined twice"));
    }

    [Fact]
    public void AStrangerIsDropped_AndTheRealRankStillJoins()
    {
        int port = FreePort();
        Rendezvous? leader = null;
        Exception? leaderError = null;
        var lead = new Thread(() =>
        {
            try { leader = Rendezvous.Lead(World(0, 2, port), "run A", [1, 2, 3]); }
            catch (Exception e) { leaderError = e; }
        });
        lead.Start();
        // An HTTP request and a connection that says nothing, before the real rank.
        using (var stranger = Connect(port)) stranger.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        using (Connect(port)) { }
        using var joined = Rendezvous.Join(World(1, 2, port), "run A");
        Assert.True(lead.Join(TimeSpan.FromSeconds(30)));
        Assert.Null(leaderError);
        Assert.Equal(new byte[] { 1, 2, 3 }, joined.Payload);
        leader!.Dispose();
    }

    [Fact]
    public void AMissingRank_TimesOutNamingIt()
    {
        int port = FreePort();
        var error = Assert.Throws<DistributedException>(() => Rendezvous.Lead(World(0, 3, port, timeoutSeconds: 1), "run A", []));
        Assert.Contains("1 of 3 ranks arrived within 1 s; missing rank(s) 1, 2", error.Message);
        var joinError = Assert.Throws<DistributedException>(() => Rendezvous.Join(World(1, 2, FreePort(), timeoutSeconds: 1), "run A"));
        Assert.Contains("no rank 0 at 127.0.0.1:", joinError.Message);
    }

    [Theory]
    [InlineData(0, 0, "127.0.0.1:1", "--world-size 0")]
    [InlineData(2, 2, "127.0.0.1:1", "--rank 2: must be in 0..1")]
    [InlineData(0, 2, "localhost", "expected HOST:PORT")]
    [InlineData(0, 2, "127.0.0.1:70000", "the port must be a number in 1..65535")]
    public void BadWorlds_AreRefusedNamingTheOption(int rank, int size, string rendezvous, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => TrainingWorld.Create(rank, size, rendezvous, CollectiveBackend.Tcp));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void SharesOfAGlobalBatch_AreDisjointAndCoverIt()
    {
        for (int size = 1; size <= 4; size++)
        {
            int batch = 12;
            var crops = Enumerable.Range(0, size).SelectMany(r =>
            {
                var (first, count) = TrainingWorld.Create(r, size, "127.0.0.1:1", CollectiveBackend.Tcp).Share(batch);
                return Enumerable.Range(first, count);
            }).ToList();
            Assert.Equal(Enumerable.Range(0, batch), crops);
        }
        var error = Assert.Throws<ArgumentException>(() => TrainingWorld.Create(0, 5, "127.0.0.1:1", CollectiveBackend.Tcp).Share(12));
        Assert.Contains("--batch 12 does not divide among 5 ranks", error.Message);
    }

    private static Socket Connect(int port)
    {
        for (int attempt = 0; ; attempt++)
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                s.Connect(IPAddress.Loopback, port);
                return s;
            }
            catch (SocketException) when (attempt < 100)
            {
                s.Dispose();
                Thread.Sleep(50);   // rank 0 is not listening yet
            }
        }
    }
}
