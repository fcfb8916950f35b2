using Mamba.Core.Engines.Cpu;
using Mamba.Core.Model;
using Mamba.Core.Sampling;

namespace Mamba.Core.Tests.Engines;

/// <summary>A seed is a recording: these bytes must come out on every x64 machine and .NET version.</summary>
public class CpuEngineGoldenTests(ITestOutputHelper output)
{
    [Fact]
    public void FixedSeed_GivesTheRecordedSamples()
    {
        // Checked on AMD EPYC with AVX-512, with AVX-512 off, with AVX2 off (DOTNET_EnableAVX512F=0 / EnableAVX2=0).
        var weights = CpuWeights.Random(new MambaConfig(64, 4), seed: 7);
        using var engine = new CpuStepEngine(weights, 1);
        engine.Open(new SamplingSettings(1f, 1f, 100));
        var output = new byte[16000];
        engine.Generate(output.Length, output);
        string hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(output))[..16];
        Assert.Equal("B5D6FAC3FA88FA88", hash);
        Assert.Equal(-88540.37341855397, engine.LogLikelihood(0), 1e-6);
    }

    [Fact]
    public void EveryVectorWidth_GivesTheSameBits()
    {
        var weights = CpuWeights.Random(new MambaConfig(40, 2, DState: 5), seed: 3);   // d_in 80: a Vector256 tail after the Vector512 body
        byte[] Run(CpuVectorWidth width)
        {
            using var engine = new CpuStepEngine(weights, 3, new CpuEngineOptions(1, width));
            for (int s = 0; s < 3; s++) engine.Open(new SamplingSettings(1f, 0.95f, (ulong)s));
            var output = new byte[3 * 500];
            engine.Generate(500, output);
            return output;
        }
        var scalar = Run(CpuVectorWidth.Scalar);
        foreach (var width in new[] { CpuVectorWidth.Vector256, CpuVectorWidth.Vector512 })
        {
            output.WriteLine($"{width} runs as {width.Resolve()} here");
            Assert.Equal(scalar, Run(width));
        }
    }

    /// <summary>
    /// The mat-vecs block streams in fours and the last 1-3 as one smaller block: a stream must give
    /// the same samples alone and in every place of every block (first, middle, last of 1 to 9 streams).
    /// </summary>
    [Fact]
    public void AStream_IsTheSameBits_InEveryPlaceOfEveryBlock()
    {
        int seed = Environment.TickCount & 0x7fffffff;
        var weights = CpuWeights.Random(new MambaConfig(64, 2), (ulong)seed);
        var watched = new SamplingSettings(0.9f, 0.95f, (ulong)seed);
        const int samples = 300;
        var expected = new byte[samples];
        using (var alone = new CpuStepEngine(weights, 1, new CpuEngineOptions(Threads: 1)))
        {
            alone.Open(watched);
            alone.Generate(samples, expected);
        }
        for (int streams = 2; streams <= 9; streams++)
            foreach (int place in new[] { 0, streams / 2, streams - 1 }.Distinct())
            {
                using var crowd = new CpuStepEngine(weights, streams, new CpuEngineOptions(Threads: 1));
                for (int s = 0; s < streams; s++) crowd.Open(s == place ? watched : new SamplingSettings(1f, 1f, (ulong)(seed + 1 + s)));
                var all = new byte[streams * samples];
                crowd.Generate(samples, all);
                Assert.True(expected.AsSpan().SequenceEqual(all.AsSpan(place * samples, samples)), $"stream {place} of {streams} (seed {seed})");
            }
    }
}

[CollectionDefinition(nameof(ProcessWideAllocationCount), DisableParallelization = true)]
public class ProcessWideAllocationCount;

/// <summary>Counts every thread's allocations, so it runs alone (no other test allocating meanwhile).</summary>
[Collection(nameof(ProcessWideAllocationCount))]
public class CpuEngineMultiThreadAllocationTests
{
    [Fact]
    public void CpuEngine_MultiThreadedGenerate_DoesNotAllocate_AfterWarmUp()
    {
        using var many = new CpuStepEngine(CpuWeights.Random(new MambaConfig(64, 4), 3), 8, new CpuEngineOptions(Threads: 2));
        for (int s = 0; s < 8; s++) many.Open(new SamplingSettings(1f, s % 2 == 0 ? 1f : 0.8f, (ulong)s));
        var outputs = new byte[8 * 64];
        var logits = new float[8 * 256];
        for (int i = 0; i < 5; i++) many.Generate(64, outputs, logits);
        long total = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < 20; i++) many.Generate(64, outputs, logits);
        many.TeacherForce(outputs.AsSpan(0, 8), logits);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - total;
        // The counter is process-wide: the runtime's and the test runner's own threads may allocate a
        // few bytes meanwhile (24 seen on a 16-core host). One allocation per step anywhere in the
        // engine would be 20 x 64 steps x >= 24 bytes = 30 KB, so 1 KB still catches any of it.
        Assert.True(allocated < 1024, $"{allocated} bytes allocated by 20 multi-threaded Generate calls (1,280 steps)");
    }
}
