using Mamba.Audio.Chains;
using Mamba.Audio.Plugins;
using Mamba.Audio.Plugins.BuiltIn;
using Mamba.Audio.Streaming;

namespace Mamba.Audio.Tests.Streaming;

/// <summary>The live path against a device that paces like a sound card: underruns counted exactly, nothing allocated per block.</summary>
public class StreamingHostTests
{
    /// <summary>A sound card stand-in: each write takes the block's duration (as a device's full buffer makes it), and keeps what it was given.</summary>
    private sealed class PacedOutput(int sampleRate, bool keep) : AudioOutput
    {
        public readonly List<float> Played = new();
        public long Writes;
        private readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();
        private double due;
        public override string Description => "paced test output";
        public override long LatencySamples => 0;
        public override void Write(ReadOnlySpan<float> block)
        {
            if (keep) lock (Played) Played.AddRange(block.ToArray());
            Writes++;
            due += block.Length / (double)sampleRate;
            while (clock.Elapsed.TotalSeconds < due) Thread.SpinWait(100);
        }
        public override void Drain() { }
        public override void Dispose() { }
    }

    /// <summary>Counts up (sample i = i / 1e6) for a set number of blocks, then stalls until released: a generator that falls behind on purpose.</summary>
    private sealed class StallingGenerator(int blocksBeforeStall) : Generator("stall", [])
    {
        public readonly ManualResetEventSlim Release = new(false);
        private int blocks;
        private long next;
        public override void Generate(Span<float> output)
        {
            if (blocks++ == blocksBeforeStall) Release.Wait();
            for (int i = 0; i < output.Length; i++) output[i] = ++next / 1e6f;
        }
    }

    [Fact]
    public void AGeneratorThatStalls_GivesSilenceAndAnExactUnderrunCount_NotACrash()
    {
        const int block = 64, rate = 16000;
        var generator = new StallingGenerator(blocksBeforeStall: 10);
        using var chain = new Chain(generator, [], []);
        chain.Prepare(new StreamFormat(rate, block));
        var output = new PacedOutput(rate, keep: true);
        // Pre-buffer of 10 blocks, made before the device starts; the generator thread's first block (the 11th)
        // stalls for good. The device plays the 10 real blocks, then every further block is silence and one
        // underrun: exact whatever the scheduling (a smaller pre-buffer raced the generator thread's start).
        using var host = new StreamingHost(chain, output, new StreamSettings(block, 16 * block, 10 * block));
        host.Start(totalSamples: 30 * block);
        while (!host.Finished) Thread.Sleep(5);
        generator.Release.Set();                 // the stalled generator thread can end now
        host.Wait();
        Assert.Equal(30 * block, host.PlayedSamples);
        Assert.Equal(20, host.UnderrunBlocks);
        Assert.Equal(20 * block, host.UnderrunSamples);
        for (int i = 0; i < 10 * block; i++) Assert.Equal((i + 1) / 1e6f, output.Played[i]);
        Assert.All(output.Played.Skip(10 * block), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void TheDeviceLoop_AllocatesNothing_OverManyBlocks()
    {
        const int block = 32, rate = 48000;
        using var chain = new Chain(new ToneGenerator(), [new GainEffect()], [new NullSink()]);
        chain.Prepare(new StreamFormat(rate, block));
        using var host = new StreamingHost(chain, new PacedOutput(rate, keep: false), new StreamSettings(block, 128 * block, 64 * block));
        host.Start(totalSamples: 3000L * block);   // 3000 callbacks, 2 s
        host.Wait();
        // Underruns are not the point here (a busy test machine may cause some; they take the same path).
        // Blocks during a collection are not judged (BlockAllocationMeter says why); the rest must allocate nothing.
        var allocations = Assert.NotNull(host.DeviceThreadAllocations);
        Assert.Equal(3000 - 16, allocations.Blocks + allocations.BlocksWithACollection);
        Assert.Equal(0, allocations.AllocatingBlocks);
        Assert.Equal(0, allocations.AllocatedBytes);
    }

    [Fact]
    public void AChainPlayedLive_GivesItsWavSinkTheSamplesOfTheSameChainRunOffline()
    {
        using var folder = new TempFolder();
        const int block = 128, rate = 16000;
        Chain Make(string path) => Chain.Build(ChainSyntax.Parse($"tone hz=523 db=-6 | lowpass hz=1200 | delay ms=30 mix=0.4 | wav path={path}"),
            PluginCatalog.BuiltIn(), new ChainContext());
        long live;
        using (var chain = Make(folder.File("live.wav")))
        {
            chain.Prepare(new StreamFormat(rate, block));
            using var host = new StreamingHost(chain, new PacedOutput(rate, keep: false), new StreamSettings(block, 8 * block, 8 * block));
            host.Start(totalSamples: rate / 2);
            host.Wait();
            live = host.GeneratedSamples;
        }
        using (var chain = Make(folder.File("offline.wav")))
        {
            chain.Prepare(new StreamFormat(rate, block));
            chain.RunOffline(live, TestContext.Current.CancellationToken);
        }
        Assert.True(live >= rate / 2);
        Assert.Equal(File.ReadAllBytes(folder.File("offline.wav")), File.ReadAllBytes(folder.File("live.wav")));
    }
}
