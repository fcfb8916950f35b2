using Mamba.Audio.Streaming;

namespace Mamba.Audio.Tests.Streaming;

public class SampleRingTests
{
    [Fact]
    public void AProducerAndAConsumerOnTwoThreads_PassEverySampleInOrder()
    {
        int seed = TestSeed.Fresh();
        var ring = new SampleRing(1000);
        Assert.Equal(1024, ring.Capacity);
        const int total = 2_000_000;
        var producer = new Thread(() =>
        {
            var random = new Random(seed);
            var block = new float[700];
            int next = 0;
            while (next < total)
            {
                int n = Math.Min(random.Next(1, block.Length), total - next);
                for (int i = 0; i < n; i++) block[i] = next + i;
                int written = ring.Write(block.AsSpan(0, n));
                next += written;
                if (written == 0) Thread.Yield();
            }
        });
        producer.Start();
        var random = new Random(seed + 1);
        var read = new float[900];
        int expected = 0;
        while (expected < total)
        {
            int n = ring.Read(read.AsSpan(0, random.Next(1, read.Length)));
            for (int i = 0; i < n; i++)
                if (read[i] != expected + i) Assert.Fail($"seed {seed}: sample {expected + i} read as {read[i]}");
            expected += n;
            if (n == 0) Thread.Yield();
        }
        producer.Join();
        Assert.Equal(0, ring.Count);
    }

    [Fact]
    public void WriteTakesOnlyWhatFits_AndReadOnlyWhatIsThere()
    {
        var ring = new SampleRing(8);
        Assert.Equal(8, ring.Write(new float[10]));
        Assert.Equal(0, ring.Write(new float[1]));
        Assert.Equal(5, ring.Read(new float[5]));
        Assert.Equal(3, ring.Count);
        Assert.Equal(3, ring.Read(new float[10]));
        Assert.Equal(0, ring.Read(new float[10]));
    }
}
