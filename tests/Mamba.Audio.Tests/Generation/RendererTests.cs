using Mamba.Audio.Files;
using Mamba.Audio.Generation;
using Mamba.Audio.Tests.Support;
using Mamba.Core.Engines;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Model;
using Mamba.Core.Sampling;
using NAudio.Wave;

namespace Mamba.Audio.Tests.Generation;

public class RendererTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder folder = new();

    /// <summary>A tiny random-weight model; the CPU engine on one thread (deterministic either way).</summary>
    private static CpuStepEngine TinyEngine(int slots, int seed = 3, int threads = 1)
    {
        return new CpuStepEngine(CpuWeights.Random(new MambaConfig(16, 2), (ulong)seed), slots, new CpuEngineOptions(threads));
    }

    [Fact]
    public void Render_WritesTheEnginesSamples_DecodedFromMuLaw_BlockByBlock()
    {
        int seed = TestSeed.Fresh();
        output.WriteLine($"seed {seed}");
        var request = new RenderRequest(0.3, SamplingSettings.Default((ulong)seed), BlockSamples: 1000);   // 4800 samples: a partial last block
        string path = folder.File("one.wav");
        using (var engine = TinyEngine(1))
        {
            var result = new Renderer(engine).Render(path, request, cancel: TestContext.Current.CancellationToken);
            Assert.False(result.Interrupted);
            Assert.Equal(4800, result.SamplesPerTake);
            Assert.Equal(path, result.Takes.Single().Path);
            Assert.Equal(0, engine.ActiveCount);   // the render closed its stream
        }

        // The same stream straight from a fresh engine, in one call: blocking does not change it.
        using var reference = TinyEngine(1);
        reference.Open(SamplingSettings.Default((ulong)seed));
        var classes = new byte[4800];
        reference.Generate(4800, classes);
        var expected = new float[4800];
        MuLaw.Decode(classes, expected);

        using var reader = new WaveFileReader(path);
        Assert.Equal(new WaveFormat(16000, 16, 1), reader.WaveFormat);
        Assert.Equal(4800, reader.SampleCount);
        var pcm = new byte[reader.Length];
        reader.ReadExactly(pcm);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(Pcm16WavWriter.ToPcm16(expected[i]), BitConverter.ToInt16(pcm, 2 * i));
    }

    [Fact]
    public void Render_SameSeed_GivesIdenticalFileBytes_AndAnotherSeedDiffers()
    {
        int seed = TestSeed.Fresh();
        output.WriteLine($"seed {seed}");
        byte[] Render(string name, ulong s)
        {
            using var engine = TinyEngine(1, threads: 2);
            new Renderer(engine).Render(folder.File(name), new RenderRequest(0.5, new SamplingSettings(0.9f, 0.95f, s)),
                cancel: TestContext.Current.CancellationToken);
            return File.ReadAllBytes(folder.File(name));
        }
        var a = Render("a.wav", (ulong)seed);
        var b = Render("b.wav", (ulong)seed);
        var c = Render("c.wav", (ulong)seed + 1);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Takes_AreRankedByLogLikelihoodPerSample_Descending_AndEachIsItsSeedsRender()
    {
        int seed = TestSeed.Fresh();
        output.WriteLine($"seed {seed}");
        string path = folder.File("takes.wav");
        RenderResult result;
        using (var engine = TinyEngine(4, threads: 2))
            result = new Renderer(engine).Render(path, new RenderRequest(0.25, SamplingSettings.Default((ulong)seed), Takes: 4),
                cancel: TestContext.Current.CancellationToken);

        Assert.Equal(4, result.Takes.Count);
        Assert.Equal(Enumerable.Range(0, 4).Select(i => (ulong)seed + (ulong)i).Order(), result.Takes.Select(t => t.Seed).Order());
        for (int r = 0; r < 4; r++)
        {
            var take = result.Takes[r];
            output.WriteLine($"rank {take.Rank}: seed {take.Seed}, {take.LogLikelihoodPerSample:F5} nats/sample, {take.Path}");
            Assert.Equal(r + 1, take.Rank);
            Assert.Equal(Renderer.TakePath(path, r + 1), take.Path);
            Assert.True(File.Exists(take.Path));
            Assert.Equal(4000, take.Samples);
            if (r > 0) Assert.True(take.LogLikelihoodPerSample <= result.Takes[r - 1].LogLikelihoodPerSample, $"seed {seed}: rank {r + 1} is more likely than rank {r}");
        }
        Assert.Empty(Directory.GetFiles(folder.Path, "takes-seed*"));   // working names renamed away

        // Each file is exactly what a one-take render of its seed writes, with the same likelihood.
        foreach (var take in result.Takes)
        {
            using var engine = TinyEngine(1);
            var alone = new Renderer(engine).Render(folder.File($"alone-{take.Seed}.wav"), new RenderRequest(0.25, SamplingSettings.Default(take.Seed)),
                cancel: TestContext.Current.CancellationToken);
            Assert.Equal(File.ReadAllBytes(alone.Takes[0].Path), File.ReadAllBytes(take.Path));
            Assert.Equal(alone.Takes[0].LogLikelihood, take.LogLikelihood);
        }
    }

    [Fact]
    public void CancelledRender_StopsBetweenBlocks_WithAValidFileOfWholeBlocks()
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        string path = folder.File("stopped.wav");
        using var engine = TinyEngine(1);
        var result = new Renderer(engine).Render(path, new RenderRequest(3600, SamplingSettings.Default(1), BlockSamples: 512),
            p => { if (p.SamplesDone >= 3 * 512) cancel.Cancel(); }, cancel.Token);
        Assert.True(result.Interrupted);
        Assert.Equal(3 * 512, result.SamplesPerTake);
        using var reader = new WaveFileReader(path);
        Assert.Equal(3 * 512, reader.SampleCount);
    }

    [Fact]
    public void Render_AllocatesNothingPerBlock_SoSixtySecondsAllocateWhatFiveDo()
    {
        using var engine = TinyEngine(1);
        var renderer = new Renderer(engine);
        long Allocated(double seconds)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            renderer.Render(folder.File("memory.wav"), new RenderRequest(seconds, SamplingSettings.Default(7)), _ => { },
                TestContext.Current.CancellationToken, replaceExisting: true);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Allocated(1);   // warm-up: JIT, file system caches
        long five = Allocated(5), sixty = Allocated(60);
        long blocks = 60 * 16000 / RenderRequest.DefaultBlockSamples - 5 * 16000 / RenderRequest.DefaultBlockSamples;
        output.WriteLine($"5 s: {five:N0} bytes allocated, 60 s: {sixty:N0} bytes ({blocks} more blocks)");
        // Per render: a block of buffers (~20 KB) and the file's objects; per block: nothing.
        Assert.True(sixty - five < 2048, $"60 s allocated {sixty - five:N0} bytes more than 5 s over {blocks} more blocks");
    }

    public void Dispose() => folder.Dispose();
}
