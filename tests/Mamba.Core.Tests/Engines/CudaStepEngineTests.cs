using ILGPU.Runtime;
using Mamba.Core.Cuda;
using Mamba.Core.Engines;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Model;
using Mamba.Core.Sampling;

namespace Mamba.Core.Tests.Engines;

/// <summary>
/// The GPU engine against the CPU engine, the plain reference of the recurrent step: teacher-forced
/// logits within float32 tolerance step by step, the same samples for a seed (fixed seeds: both
/// engines are deterministic, so a pass or a failure repeats), priming, snapshots across engines,
/// streams joining and leaving. "cpu" runs the kernel on ILGPU's CPU accelerator (every machine,
/// CI included); "cuda" on the GPU, skipped where there is none and run on the GPU host.
/// </summary>
public class CudaStepEngineTests(ITestOutputHelper output)
{
    public static TheoryData<string> Accelerators => ["cpu", "cuda"];

    private static Accelerator Pick(string kind)
    {
        if (kind == "cpu") return CudaAccelerators.Cpu();
        Assert.SkipUnless(CudaAccelerators.HasCuda, "no CUDA GPU on this machine");
        return CudaAccelerators.Cuda();
    }

    // d_model 32 on the CPU accelerator: the norm's lanes then take the four-ahead reads as well as the tail.
    private static MambaConfig SmallConfig(string kind) => kind == "cpu" ? new MambaConfig(32, 2) : new MambaConfig(64, 4);

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            float tolerance = 2e-4f * (1 + MathF.Abs(expected[i]));
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tolerance, $"{what}: [{i}] cpu {expected[i]:R}, gpu {actual[i]:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Accelerators))]
    public void TeacherForcedLogits_MatchTheCpuEngine(string kind)
    {
        var config = SmallConfig(kind);
        var weights = CpuWeights.Random(config, seed: 11);
        const int slots = 3;
        using var cpu = new CpuStepEngine(weights, slots);
        using var gpu = new CudaStepEngine(weights, slots, Pick(kind));
        for (int s = 0; s < slots; s++) { cpu.Open(new SamplingSettings(1, 1, (ulong)s)); gpu.Open(new SamplingSettings(1, 1, (ulong)s)); }
        var random = new Random(5);
        var next = new byte[slots];
        var a = new float[slots * config.VocabSize];
        var b = new float[slots * config.VocabSize];
        int steps = kind == "cpu" ? 120 : 1000;
        for (int step = 0; step < steps; step++)
        {
            random.NextBytes(next);
            cpu.TeacherForce(next, a);
            gpu.TeacherForce(next, b);
            AssertClose(a, b, $"step {step}");
        }
        for (int s = 0; s < slots; s++)
        {
            Assert.Equal(cpu.LogLikelihood(s), gpu.LogLikelihood(s), 1e-3 * steps);
            Assert.Equal(cpu.SampleCount(s), gpu.SampleCount(s));
        }
        output.WriteLine($"{gpu.Device}, {gpu.GroupSize} threads a group: {steps} teacher-forced steps within 2e-4 relative");
    }

    [Theory]
    [MemberData(nameof(Accelerators))]
    public void SampledStreams_AreTheCpuEnginesForTheSameSeeds_AsStreamsJoinAndLeave(string kind)
    {
        var config = SmallConfig(kind);
        var weights = CpuWeights.Random(config, seed: 12);
        const int slots = 4;
        using var cpu = new CpuStepEngine(weights, slots);
        using var gpu = new CudaStepEngine(weights, slots, Pick(kind));
        SamplingSettings[] settings = [new(1, 1, 7), new(0.8f, 0.9f, 8), new(0, 1, 9)];
        foreach (var s in settings) Assert.Equal(cpu.Open(s), gpu.Open(s));
        int samples = kind == "cpu" ? 150 : 3000;
        var a = new byte[slots * samples];
        var b = new byte[slots * samples];
        b.AsSpan().Fill(0xAA);
        a.AsSpan().Fill(0xAA);
        cpu.Generate(samples, a);
        gpu.Generate(samples, b);
        Assert.Equal(a, b);                                   // inactive slot 3's row left as it was in both

        cpu.Close(1); gpu.Close(1);
        Assert.Equal(cpu.Open(new SamplingSettings(1, 0.95f, 21)), gpu.Open(new SamplingSettings(1, 0.95f, 21)));
        cpu.Generate(samples / 2, a.AsSpan(0, slots * (samples / 2)));
        gpu.Generate(samples / 2, b.AsSpan(0, slots * (samples / 2)));
        Assert.Equal(a, b);
        for (int s = 0; s < 3; s++) Assert.Equal(cpu.LogLikelihood(s), gpu.LogLikelihood(s), 1e-3 * samples);
    }

    /// <summary>
    /// Tiles of streams stepped together by one group, in every size up to the most a group holds and one that does not
    /// divide the streams: each stream's samples and last logits are its own, as the CPU engine gives them. The outputs
    /// are poisoned first (0xAA samples, NaN logits), so an element the kernel does not write fails.
    /// </summary>
    [Theory]
    [MemberData(nameof(Accelerators))]
    public void TilesOfStreams_GiveEachStreamTheCpuEnginesSamplesAndLogits(string kind)
    {
        var config = SmallConfig(kind);
        var weights = CpuWeights.Random(config, seed: 14);
        const int slots = 7;
        SamplingSettings Settings(int s) => (s % 4) switch
        {
            0 => new(1, 1, (ulong)(40 + s)),
            1 => new(0.8f, 0.9f, (ulong)(40 + s)),
            2 => new(0, 1, (ulong)(40 + s)),
            _ => new(1.3f, 0.5f, (ulong)(40 + s)),
        };
        int samples = kind == "cpu" ? 40 : 2000;
        using var cpu = new CpuStepEngine(weights, slots);
        for (int s = 0; s < slots; s++) cpu.Open(Settings(s));
        var expected = new byte[slots * samples];
        var expectedLogits = new float[slots * config.VocabSize];
        cpu.Generate(samples, expected, expectedLogits);

        var accelerator = Pick(kind);
        int most;
        using (var probe = new CudaStepEngine(weights, slots, accelerator, partsPerStream: 0)) most = probe.MaxStreamsPerGroup;
        foreach (int tile in new[] { 1, 2, 3, most }.Where(t => t <= most).Distinct())
        {
            using var gpu = new CudaStepEngine(weights, slots, accelerator, streamsPerGroup: tile, partsPerStream: 0);
            for (int s = 0; s < slots; s++) gpu.Open(Settings(s));
            var actual = new byte[slots * samples];
            var actualLogits = new float[slots * config.VocabSize];
            actual.AsSpan().Fill(0xAA);
            actualLogits.AsSpan().Fill(float.NaN);
            gpu.Generate(samples, actual, actualLogits);
            for (int s = 0; s < slots; s++)
                Assert.True(expected.AsSpan(s * samples, samples).SequenceEqual(actual.AsSpan(s * samples, samples)),
                    $"tile {tile}: stream {s} ({Settings(s)}) differs from the CPU engine's");
            AssertClose(expectedLogits, actualLogits, $"tile {tile}: last logits");
            for (int s = 0; s < slots; s++) Assert.Equal(cpu.LogLikelihood(s), gpu.LogLikelihood(s), 1e-3 * samples);
            output.WriteLine($"{gpu.Device}: {slots} streams in tiles of {tile} ({gpu.GroupSize} threads a group), {samples} samples each, the CPU engine's");
        }
    }

    [Theory]
    [MemberData(nameof(Accelerators))]
    public void Priming_AndSnapshotsAcrossEngines_GiveTheCpuEnginesState(string kind)
    {
        var config = SmallConfig(kind);
        var weights = CpuWeights.Random(config, seed: 13);
        using var cpu = new CpuStepEngine(weights, 2);
        using var gpu = new CudaStepEngine(weights, 2, Pick(kind));
        int cs = cpu.Open(new SamplingSettings(1, 1, 3)), gs = gpu.Open(new SamplingSettings(1, 1, 3));
        var prompt = new byte[kind == "cpu" ? 90 : 5000];
        new Random(2).NextBytes(prompt);
        cpu.Prime(cs, prompt);
        gpu.Prime(gs, prompt);
        AssertClose(cpu.ExportState(cs), gpu.ExportState(gs), "state after the prompt");

        // A stream moved from the GPU to the CPU engine and back goes on as if it had stayed.
        var a = new byte[2 * 40];
        var b = new byte[2 * 40];
        cpu.Generate(40, a);
        gpu.Generate(40, b);
        Assert.Equal(a, b);
        int moved = cpu.Open(new SamplingSettings(1, 1, 99));
        cpu.ImportState(moved, gpu.ExportState(gs));
        int back = gpu.Open(new SamplingSettings(1, 1, 99));
        gpu.ImportState(back, cpu.ExportState(cs));
        cpu.Generate(40, a);
        gpu.Generate(40, b);
        Assert.Equal(a.AsSpan(cs * 40, 40).ToArray(), a.AsSpan(moved * 40, 40).ToArray());
        Assert.Equal(a.AsSpan(cs * 40, 40).ToArray(), b.AsSpan(back * 40, 40).ToArray());
    }

    /// <summary>
    /// Streams spread over groups (the latency form): for every count of parts the device runs at once, and as many
    /// streams as it holds spread, the samples for a seed, the last logits, the likelihoods, teacher-forced logits and the
    /// state after a prompt are the CPU engine's. The outputs are poisoned first. On the CPU accelerator two groups run at
    /// once (its two emulated multiprocessors), so the parts really wait on each other's words.
    /// </summary>
    [Theory]
    [MemberData(nameof(Accelerators))]
    public void SpreadStreams_AreTheCpuEnginesForEveryCountOfParts(string kind)
    {
        var config = kind == "cpu" ? new MambaConfig(32, 2) : new MambaConfig(64, 4);
        var weights = CpuWeights.Random(config, seed: 15);
        var accelerator = Pick(kind);
        SamplingSettings Settings(int s) => (s % 3) switch { 0 => new(1, 1, (ulong)(60 + s)), 1 => new(0.8f, 0.9f, (ulong)(60 + s)), _ => new(0, 1, (ulong)(60 + s)) };
        int samples = kind == "cpu" ? 60 : 3000;
        var counts = new[] { 2, 4, 8, 16, 32 }.Where(n => n <= accelerator.NumMultiprocessors && new CudaModelLayout(weights).DInP % n == 0).ToArray();
        Assert.NotEmpty(counts);
        // Each count through L2's words, and where the device has clusters (the H200: up to 16 parts) through shared memory.
        var runs = counts.Select(n => (n, clusters: false))
            .Concat(counts.Where(n => CudaClusterKernel.Unsupported(accelerator, n) is null).Select(n => (n, clusters: true))).ToArray();
        foreach (var (n, clusters) in runs)
        {
            int streams = Math.Min(3, accelerator.NumMultiprocessors / n);
            using var cpu = new CpuStepEngine(weights, streams);
            using var gpu = new CudaStepEngine(weights, streams, accelerator, partsPerStream: n, clusters: clusters);
            Assert.True(gpu.Spreads(streams));
            Assert.Equal(clusters, gpu.Clustered);
            for (int s = 0; s < streams; s++) { cpu.Open(Settings(s)); gpu.Open(Settings(s)); }
            var prompt = new byte[kind == "cpu" ? 50 : 2000];
            new Random(n).NextBytes(prompt);
            cpu.Prime(0, prompt);
            gpu.Prime(0, prompt);
            AssertClose(cpu.ExportState(0), gpu.ExportState(0), $"{n} parts: state after the prompt");

            var expected = new byte[streams * samples];
            var actual = new byte[streams * samples];
            var expectedLogits = new float[streams * config.VocabSize];
            var actualLogits = new float[streams * config.VocabSize];
            actual.AsSpan().Fill(0xAA);
            actualLogits.AsSpan().Fill(float.NaN);
            cpu.Generate(samples, expected, expectedLogits);
            gpu.Generate(samples, actual, actualLogits);
            for (int s = 0; s < streams; s++)
                Assert.True(expected.AsSpan(s * samples, samples).SequenceEqual(actual.AsSpan(s * samples, samples)),
                    $"{n} parts: stream {s} ({Settings(s)}) differs from the CPU engine's");
            AssertClose(expectedLogits, actualLogits, $"{n} parts: last logits");
            for (int s = 0; s < streams; s++) Assert.Equal(cpu.LogLikelihood(s), gpu.LogLikelihood(s), 1e-3 * samples);

            var next = new byte[streams];
            var random = new Random(3);
            for (int step = 0; step < 20; step++)
            {
                random.NextBytes(next);
                cpu.TeacherForce(next, expectedLogits);
                gpu.TeacherForce(next, actualLogits);
                AssertClose(expectedLogits, actualLogits, $"{n} parts: teacher-forced step {step}");
            }
            output.WriteLine($"{gpu.Device}: {streams} streams spread over {n} groups of {gpu.SpreadGroupSize} threads{(clusters ? " in a cluster" : "")}, {samples} samples each, the CPU engine's");
        }
    }

    [Theory]
    [MemberData(nameof(Accelerators))]
    public void AProfiledLaunch_StampsEveryPhaseOfEveryPart_AndDrawsTheSameSamples(string kind)
    {
        var config = SmallConfig(kind);
        var weights = CpuWeights.Random(config, seed: 21);
        var accelerator = Pick(kind);
        int parts = kind == "cpu" ? 2 : 16, samples = kind == "cpu" ? 40 : 2000, profiled = kind == "cpu" ? 20 : 512;
        int streams = Math.Min(2, accelerator.NumMultiprocessors / parts);
        using var plain = new CudaStepEngine(weights, streams, accelerator, partsPerStream: parts);
        using var profiledEngine = new CudaStepEngine(weights, streams, accelerator, partsPerStream: parts);
        for (int s = 0; s < streams; s++) { plain.Open(new(0.9f, 0.95f, (ulong)(5 + s))); profiledEngine.Open(new(0.9f, 0.95f, (ulong)(5 + s))); }
        var expected = new byte[streams * samples];
        var actual = new byte[streams * samples];
        plain.Generate(samples, expected);
        var profile = profiledEngine.ProfileSpread(samples, actual, profiled);
        Assert.True(expected.AsSpan().SequenceEqual(actual), "the profiled launch drew other samples than the plain one");
        Assert.Equal(plain.LogLikelihood(streams - 1), profiledEngine.LogLikelihood(streams - 1));

        Assert.Equal(streams * parts, profile.Parts);
        Assert.Equal(profiled - CudaSpreadProfile.WarmSteps, profile.StepsMeasured);
        var names = CudaSpreadProfile.StepPhases.Concat(CudaSpreadProfile.LayerPhases).Concat(CudaSpreadProfile.HeadPhases).ToArray();
        Assert.Equal(names, profile.Phases.Select(p => p.Name));
        Assert.Equal(1 + CudaSpreadProfile.StepPhases.Length + config.NLayer * CudaSpreadProfile.LayerPhases.Length + CudaSpreadProfile.HeadPhases.Length,
            CudaSpreadProfile.StampsPerStep(config.NLayer));
        // Every stamp written and after the one before it: each phase of every part took at least a tick a step
        // (a layer phase at least one a layer), and no part's mean exceeds the slowest's.
        foreach (var phase in profile.Phases)
        {
            double least = CudaSpreadProfile.LayerPhases.Contains(phase.Name) ? config.NLayer : 1;
            Assert.True(phase.MeanCycles >= least, $"{phase.Name}: {phase.MeanCycles} cycles a step");
            Assert.True(phase.MaxCycles >= phase.MeanCycles, $"{phase.Name}: slowest {phase.MaxCycles} < mean {phase.MeanCycles}");
        }
        output.WriteLine(string.Join("\n", profile.Phases.Select(p => $"{p.Name}: {p.MeanCycles:N0} (slowest {p.MaxCycles:N0})")));

        // The engine goes back to unstamped launches, and a profile needs spread streams.
        plain.Generate(10, expected.AsSpan(0, streams * 10));
        profiledEngine.Generate(10, actual.AsSpan(0, streams * 10));
        Assert.True(expected.AsSpan(0, streams * 10).SequenceEqual(actual.AsSpan(0, streams * 10)));
        using var tiles = new CudaStepEngine(weights, streams, accelerator, partsPerStream: 0);
        tiles.Open(SamplingSettings.Default(1));
        var error = Assert.Throws<InvalidOperationException>(() => tiles.ProfileSpread(10, new byte[streams * 10]));
        Assert.Contains("never spreads", error.Message);
    }
}
