using Mamba.Testing;
using Mamba.Training.Distributed;
using static TorchSharp.torch;

namespace Mamba.Training.Tests.Distributed;

/// <summary>The CPU collective on real tensors of three ranks (threads with their own sockets): sums, broadcasts, and ranks out of step.</summary>
public class TcpCollectiveTests
{
    private static TcpCollective[] Connect(int size)
    {
        int port = RendezvousTests.FreePort();
        var met = RendezvousTests.Meet(size, r => RendezvousTests.World(r, size, port), _ => "run", []);
        foreach (var (_, error) in met) Assert.Null(error);
        return met.Select(m => new TcpCollective(m.Rendezvous!)).ToArray();
    }

    private static void OnEveryRank(TcpCollective[] ranks, Action<TcpCollective> work)
    {
        var errors = new Exception?[ranks.Length];
        var threads = ranks.Select((c, r) => new Thread(() =>
        {
            try { work(c); }
            catch (Exception e) { errors[r] = e; }
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(60)), "a rank hung");
        foreach (var e in errors) if (e is not null) throw new AggregateException(e);
    }

    [Fact]
    public void AllReduce_GivesEveryRankTheSumInRankOrder_AndBroadcast_RankZerosValues()
    {
        var random = new Random(TestSeed.Fresh());
        const int size = 3, n = 100_003;   // not a round length; 0.4 MB a message
        var data = Enumerable.Range(0, size).Select(_ => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var expected = new float[n];
        for (int i = 0; i < n; i++) expected[i] = (data[0][i] + data[1][i]) + data[2][i];
        var ranks = Connect(size);
        var sums = new float[size][];
        var broadcasts = new float[size][];
        try
        {
            OnEveryRank(ranks, c =>
            {
                using var t = tensor(data[c.Rank]);
                c.AllReduceSum(t);
                sums[c.Rank] = t.data<float>().ToArray();
                using var b = tensor(data[c.Rank]);
                c.Broadcast(b);
                broadcasts[c.Rank] = b.data<float>().ToArray();
            });
        }
        finally
        {
            foreach (var c in ranks) c.Dispose();
        }
        for (int r = 0; r < size; r++)
        {
            Assert.Equal(expected, sums[r]);          // bit for bit: rank 0 adds in rank order
            Assert.Equal(data[0], broadcasts[r]);
        }
    }

    [Fact]
    public void RanksOutOfStep_AreAnErrorNamingWhatEachSent()
    {
        var ranks = Connect(2);
        try
        {
            var error = Assert.Throws<AggregateException>(() => OnEveryRank(ranks, c =>
            {
                using var t = zeros(c.Rank == 0 ? 10 : 12);
                c.AllReduceSum(t);
            }));
            Assert.Contains("rank 1 sent an all-reduce #1 of 12 floats, rank 0 expected an all-reduce #1 of 10", error.InnerException!.Message);
        }
        finally
        {
            foreach (var c in ranks) c.Dispose();
        }
    }

    [Fact]
    public void ARankThatDies_IsNamedByTheOthers()
    {
        var ranks = Connect(2);
        ranks[1].Dispose();   // rank 1 is gone: its sockets are closed
        using var t = zeros(8);
        var error = Assert.Throws<DistributedException>(() => ranks[0].AllReduceSum(t));
        Assert.Contains("rank 1 closed its connection", error.Message);
        ranks[0].Dispose();
    }
}
