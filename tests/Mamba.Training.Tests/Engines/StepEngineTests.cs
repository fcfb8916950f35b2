using Mamba.Training.Engines;
using System.Diagnostics;
using Mamba.Core.Engines;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Model;
using Mamba.Core.Sampling;
using Mamba.Training.Tests.Support;
using static Mamba.Training.Tests.Engines.EngineTestModels;

namespace Mamba.Training.Tests.Engines;

/// <summary>The contract, checked on every engine; and the CPU engine against the TorchSharp reference.</summary>
public class StepEngineTests
{
    private static readonly MambaConfig Small = new(64, 4);
    private static readonly MambaConfig Odd = new(24, 2, DState: 5);   // d, d_in, r + 2n not multiples of 8

    public static TheoryData<string> Kinds => new() { "cpu", "cpu-scalar", "torch" };

    /// <summary>Feeds the same tokens to both engines (teacher forcing) and compares the logits every <paramref name="every"/> steps.</summary>
    private static void CompareTeacherForced(MambaConfig config, int steps, int every, int streams)
    {
        int seed = TestSeed.Fresh();
        using var model = Create(config, seed);
        using var cpu = new CpuStepEngine(model.ToCpuWeights(), streams);
        using var torch = new TorchStepEngine(model, streams);
        TeacherForceBoth(torch, cpu, config, steps, every, streams, seed);
        for (int s = 0; s < streams; s++)
            Assert.Equal(torch.LogLikelihood(s), cpu.LogLikelihood(s), Math.Abs(torch.LogLikelihood(s)) * 1e-4);
    }

    /// <summary>
    /// Opens <paramref name="streams"/> streams on both engines, feeds both the same random tokens
    /// and checks <paramref name="actual"/>'s logits against <paramref name="expected"/>'s every
    /// <paramref name="every"/> steps (relative 1e-4).
    /// </summary>
    internal static void TeacherForceBoth(IStepEngine expected, IStepEngine actual, MambaConfig config, int steps, int every, int streams, int seed)
    {
        for (int s = 0; s < streams; s++) { expected.Open(SamplingSettings.Default()); actual.Open(SamplingSettings.Default()); }
        var tokens = Enumerable.Range(0, streams).Select(s => RandomTokens(seed + s, steps)).ToArray();
        var next = new byte[streams];
        var expectedLogits = new float[streams * config.VocabSize];
        var actualLogits = new float[streams * config.VocabSize];
        for (int t = 0; t < steps; t++)
        {
            for (int s = 0; s < streams; s++) next[s] = tokens[s][t];
            bool check = t % every == every - 1 || t == steps - 1;
            expected.TeacherForce(next, check ? expectedLogits : default);
            actual.TeacherForce(next, check ? actualLogits : default);
            if (check) ArrayAssert.Close(actualLogits, expectedLogits, 1e-4, $"seed {seed}, {config}, step {t}");
        }
    }

    [Fact]
    public void CpuEngine_MatchesTorchEngine_Over2000TeacherForcedSteps()
    {
        CompareTeacherForced(Small, 2000, 50, 3);
    }

    [Fact]
    public void CpuEngine_MatchesTorchEngine_OnOddSizes()
    {
        CompareTeacherForced(Odd, 500, 25, 5);
    }

    [Fact]
    public void CpuEngine_MatchesTorchEngine_Over10000TeacherForcedSteps()
    {
        CompareTeacherForced(Small, 10_000, 500, 1);
    }

    [Fact]
    public void CpuEngine_ScalarAndVectorKernels_GiveTheSameBits()
    {
        int seed = TestSeed.Fresh();
        using var model = Create(Odd, seed);
        using var vector = new CpuStepEngine(model.ToCpuWeights(), 2);
        using var scalar = new CpuStepEngine(model.ToCpuWeights(), 2, new CpuEngineOptions(VectorWidth: CpuVectorWidth.Scalar));
        var small = Create(Small, seed);
        using var vectorSmall = new CpuStepEngine(small.ToCpuWeights(), 5);
        using var scalarSmall = new CpuStepEngine(small.ToCpuWeights(), 5, new CpuEngineOptions(VectorWidth: CpuVectorWidth.Scalar));
        foreach (var (a, b) in new[] { (vector, scalar), (vectorSmall, scalarSmall) })
        {
            for (int s = 0; s < a.Slots; s++) { a.Open(SamplingSettings.Default((ulong)(seed + s))); b.Open(SamplingSettings.Default((ulong)(seed + s))); }
            int v = a.Config.VocabSize, samples = 300;
            byte[] outA = new byte[a.Slots * samples], outB = new byte[a.Slots * samples];
            float[] logitsA = new float[a.Slots * v], logitsB = new float[a.Slots * v];
            a.Generate(samples, outA, logitsA);
            b.Generate(samples, outB, logitsB);
            Assert.Equal(outB, outA);
            ArrayAssert.SameBits(logitsA, logitsB, $"seed {seed}, {a.Config}");
        }
    }

    [Fact]
    public void CpuEngine_AStreamIsTheSameBits_AloneOrAmongOthers_OnAnyThreadCount()
    {
        int seed = TestSeed.Fresh();
        using var model = Create(Small, seed);
        const int samples = 400;
        var settings = new SamplingSettings(0.9f, 0.95f, (ulong)seed);
        using var alone = new CpuStepEngine(model.ToCpuWeights(), 1, new CpuEngineOptions(Threads: 1));
        alone.Open(settings);
        var expected = new byte[samples];
        alone.Generate(samples, expected);

        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var crowd = new CpuStepEngine(model.ToCpuWeights(), 9, new CpuEngineOptions(Threads: threads));
            for (int s = 0; s < 9; s++) crowd.Open(s == 5 ? settings : SamplingSettings.Default((ulong)(seed + 100 + s)));
            var output = new byte[9 * samples];
            crowd.Generate(samples / 2, output.AsSpan(0, 9 * samples / 2));
            var first = output.AsSpan(5 * samples / 2, samples / 2).ToArray();
            crowd.Close(3);   // another stream leaving must not matter either
            crowd.Generate(samples / 2, output);
            var second = output.AsSpan(5 * samples / 2, samples / 2).ToArray();
            Assert.Equal(expected, first.Concat(second).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SameSeed_GivesTheSameSamples_Twice(string kind)
    {
        int seed = TestSeed.Fresh();
        using var model = Create(Odd, seed);
        byte[] Run()
        {
            using var engine = Engine(kind, model, 2);
            engine.Open(new SamplingSettings(1f, 1f, 42));
            engine.Open(new SamplingSettings(0.8f, 0.9f, 43));
            var output = new byte[2 * 120];
            engine.Generate(120, output);
            return output;
        }
        var a = Run();
        Assert.Equal(a, Run());
        Assert.NotEqual(a.AsSpan(0, 120).ToArray(), a.AsSpan(120, 120).ToArray());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ReusingASlot_DoesNotLeakTheOldStreamsState(string kind)
    {
        int seed = TestSeed.Fresh();
        using var model = Create(Odd, seed);
        const int samples = 100;
        var settings = SamplingSettings.Default((ulong)seed);

        using var fresh = Engine(kind, model, 1);
        fresh.Open(settings);
        var expected = new byte[samples];
        fresh.Generate(samples, expected);

        using var engine = Engine(kind, model, 2);
        int old = engine.Open(SamplingSettings.Default(1));
        engine.Open(SamplingSettings.Default(2));
        engine.Generate(50, new byte[2 * 50]);
        engine.Close(old);
        Assert.Equal(old, engine.Open(settings));
        var output = new byte[2 * samples];
        engine.Generate(samples, output);
        Assert.Equal(expected, output.AsSpan(old * samples, samples).ToArray());
        // The reference's batched BLAS rounds differently for 1 and 2 streams; the CPU engine's does not.
        Assert.Equal(fresh.LogLikelihood(0), engine.LogLikelihood(old), kind == "torch" ? 1e-4 : 0);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ExportedState_ContinuesIdentically_AfterImport(string kind)
    {
        int seed = TestSeed.Fresh();
        using var model = Create(Odd, seed);
        using var engine = Engine(kind, model, 2);
        int a = engine.Open(new SamplingSettings(0.9f, 0.9f, (ulong)seed));
        engine.Generate(60, new byte[2 * 60]);
        var snapshot = engine.ExportState(a);
        Assert.Equal(engine.SnapshotLength, snapshot.Length);

        var continued = new byte[2 * 80];
        engine.Generate(80, continued);
        double ll = engine.LogLikelihood(a);
        long count = engine.SampleCount(a);

        int b = engine.Open(SamplingSettings.Default(999));          // another slot, other seed: the snapshot's RNG wins
        engine.SetSampling(b, new SamplingSettings(0.9f, 0.9f, 0), reseed: false);
        engine.ImportState(b, snapshot);
        var resumed = new byte[2 * 80];
        engine.Generate(80, resumed);
        Assert.Equal(continued.AsSpan(a * 80, 80).ToArray(), resumed.AsSpan(b * 80, 80).ToArray());
        Assert.Equal(ll, engine.LogLikelihood(b), 9);
        Assert.Equal(count, engine.SampleCount(b));
    }

    [Fact]
    public void Snapshots_MoveBetweenEngines()
    {
        int seed = TestSeed.Fresh();
        using var model = Create(Small, seed);
        using var torch = new TorchStepEngine(model, 1);
        using var cpu = new CpuStepEngine(model.ToCpuWeights(), 1);
        torch.Open(SamplingSettings.Default());
        cpu.Open(SamplingSettings.Default());
        var tokens = RandomTokens(seed, 200);
        for (int t = 0; t < 150; t++) torch.TeacherForce(tokens.AsSpan(t, 1));
        cpu.ImportState(0, torch.ExportState(0));
        float[] a = new float[256], b = new float[256];
        for (int t = 150; t < 200; t++)
        {
            torch.TeacherForce(tokens.AsSpan(t, 1), a);
            cpu.TeacherForce(tokens.AsSpan(t, 1), b);
            ArrayAssert.Close(b, a, 1e-4, $"seed {seed}, step {t}");
        }
        float[] back = cpu.ExportState(0), reference = torch.ExportState(0);
        int h = StreamSnapshot.HeaderLength;
        Assert.Equal(reference[..10], back[..10]);          // version, pending sample, RNG
        Assert.Equal(reference[14..h], back[14..h]);        // sample count
        Assert.Equal(torch.LogLikelihood(0), cpu.LogLikelihood(0), Math.Abs(torch.LogLikelihood(0)) * 1e-5);
        ArrayAssert.Close(back[h..], reference[h..], 1e-4, $"seed {seed}, recurrent state");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(37)]
    [InlineData(300)]
    public void PrimingByParallelForward_GivesTheLogitsOfSteppingThePrompt(int promptLength)
    {
        int seed = TestSeed.Fresh();
        using var model = Create(Small, seed);
        var prompt = RandomTokens(seed, promptLength);
        byte after = 77;

        // Reference: torch engine, prompt stepped one sample at a time.
        using var stepped = new TorchStepEngine(model, 1);
        stepped.Open(SamplingSettings.Default());
        stepped.Prime(0, prompt.AsSpan(0, 1));
        for (int t = 1; t < promptLength; t++) stepped.TeacherForce(prompt.AsSpan(t, 1));
        var expected = new float[256];
        stepped.TeacherForce(new[] { after }, expected);

        using var parallel = new TorchStepEngine(model, 2);
        parallel.Open(SamplingSettings.Default());
        int slot = parallel.Open(SamplingSettings.Default());
        parallel.Generate(5, new byte[10]);      // a used state must be replaced, not added to
        parallel.Prime(slot, prompt);
        var actual = new float[2 * 256];
        parallel.TeacherForce(new byte[] { 0, after }, actual);
        ArrayAssert.Close(actual.AsSpan(256, 256), expected, 1e-4, $"seed {seed}, torch prime, prompt {promptLength}");

        using var cpu = new CpuStepEngine(model.ToCpuWeights(), 1);
        cpu.Open(SamplingSettings.Default());
        cpu.Generate(5, new byte[5]);
        cpu.Prime(0, prompt);
        var cpuLogits = new float[256];
        cpu.TeacherForce(new[] { after }, cpuLogits);
        ArrayAssert.Close(cpuLogits, expected, 1e-4, $"seed {seed}, cpu prime, prompt {promptLength}");
    }

    [Fact]
    public void CpuEngine_Generate_DoesNotAllocate_AfterWarmUp()
    {
        using var model = Create(Small, 3);
        using var single = new CpuStepEngine(model.ToCpuWeights(), 1);
        single.Open(new SamplingSettings(0.9f, 0.9f, 1));
        var output = new byte[64];
        var logits = new float[256];
        single.Generate(64, output, logits);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) single.Generate(64, output, logits);
        single.TeacherForce(output.AsSpan(0, 1), logits);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Open_FailsWhenFull_AndClosedSlotsAreReused()
    {
        using var model = Create(Odd, 1);
        using var engine = new CpuStepEngine(model.ToCpuWeights(), 2);
        Assert.Equal(0, engine.Open(SamplingSettings.Default()));
        Assert.Equal(1, engine.Open(SamplingSettings.Default()));
        Assert.Throws<InvalidOperationException>(() => engine.Open(SamplingSettings.Default()));
        engine.Close(0);
        Assert.False(engine.IsActive(0));
        Assert.Equal(0, engine.Open(SamplingSettings.Default()));
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.Open(new SamplingSettings(1f, 0f, 0)));
        Assert.Throws<ArgumentException>(() => engine.Generate(10, new byte[10]));
    }

    [Fact]
    public void UnconditionalGeneration_StartsFromSilence()
    {
        int seed = TestSeed.Fresh();
        using var model = Create(Small, seed);
        using var a = new CpuStepEngine(model.ToCpuWeights(), 1);
        using var b = new CpuStepEngine(model.ToCpuWeights(), 1);
        a.Open(SamplingSettings.Default(5));
        b.Open(SamplingSettings.Default(5));
        b.Prime(0, new byte[] { 128 });
        byte[] x = new byte[50], y = new byte[50];
        a.Generate(50, x);
        b.Generate(50, y);
        Assert.Equal(x, y);
    }
}
