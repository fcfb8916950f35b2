using Mamba.Core.Cuda;
using Mamba.Core.Engines;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Model;
using Mamba.Core.Sampling;

namespace Mamba.Core.Tests.Engines;

/// <summary>
/// What the service's batch stands on: a held stream is left exactly as it was while the others
/// step (so holding it for a while and then letting it go gives the samples it would have given
/// without the hold), and a prompt primed in chunks gives the state of the whole prompt primed at
/// once. Both engines that offer them: the CPU engine and the CUDA engine (its kernel on ILGPU's CPU
/// accelerator here, on the GPU where there is one).
/// </summary>
public class HoldAndChunkedPrimeTests
{
    public static TheoryData<string> Engines => ["cpu", "cuda-kernel-on-cpu", "cuda"];

    private static IStepEngine Make(string kind, CpuWeights weights, int slots) => kind switch
    {
        "cpu" => new CpuStepEngine(weights, slots),
        "cuda-kernel-on-cpu" => new CudaStepEngine(weights, slots, CudaAccelerators.Cpu()),
        _ => CudaAccelerators.HasCuda ? new CudaStepEngine(weights, slots, CudaAccelerators.Cuda()) : Skip(),
    };

    private static IStepEngine Skip()
    {
        Assert.Skip("no CUDA GPU on this machine");
        return null!;
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void AHeldStream_IsUntouched_AndResumesAsIfNeverHeld(string kind)
    {
        var weights = CpuWeights.Random(new MambaConfig(16, 2), seed: (ulong)Random.Shared.Next());
        using var plain = Make(kind, weights, 1);
        using var batch = Make(kind, weights, 3);
        var settings = new SamplingSettings(0.9f, 0.95f, (ulong)Random.Shared.Next());
        int reference = plain.Open(settings);
        var expected = new byte[300];
        plain.Generate(expected.Length, expected);

        int other = batch.Open(new SamplingSettings(1, 1, 7));
        int held = batch.Open(settings);
        var output = new byte[batch.Slots * 100];
        batch.Generate(100, output);
        var got = new List<byte>(output.AsSpan(held * 100, 100).ToArray());
        var before = batch.ExportState(held);

        batch.SetHeld(held, true);
        Assert.True(batch.IsHeld(held));
        Array.Fill(output, (byte)77);
        batch.Generate(100, output);
        Assert.All(output.AsSpan(held * 100, 100).ToArray(), b => Assert.Equal(77, b));
        Assert.NotEqual(77, output[other * 100]);
        Assert.Equal(before, batch.ExportState(held));
        Assert.Equal(100, batch.SampleCount(held));
        Assert.Equal(2, batch.ActiveCount);

        batch.SetHeld(held, false);
        Assert.False(batch.IsHeld(held));
        batch.Generate(100, output);
        got.AddRange(output.AsSpan(held * 100, 100).ToArray());
        batch.Generate(100, output);
        got.AddRange(output.AsSpan(held * 100, 100).ToArray());
        Assert.Equal(expected, got.ToArray());
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void APromptPrimedInChunks_GivesTheStateOfTheWholePrompt(string kind)
    {
        var weights = CpuWeights.Random(new MambaConfig(16, 2), seed: (ulong)Random.Shared.Next());
        using var engine = Make(kind, weights, 2);
        var prompt = new byte[700];
        Random.Shared.NextBytes(prompt);
        var settings = new SamplingSettings(1, 1, 3);
        int whole = engine.Open(settings);
        int chunked = engine.Open(settings);
        engine.Prime(whole, prompt);
        engine.Prime(chunked, prompt.AsSpan(0, 1));
        foreach (var (start, length) in new[] { (1, 250), (251, 1), (252, 448) })
            engine.ContinuePrime(chunked, prompt.AsSpan(start, length));

        var a = engine.ExportState(whole);
        var b = engine.ExportState(chunked);
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++) Assert.True(MathF.Abs(a[i] - b[i]) <= 1e-6f * (1 + MathF.Abs(a[i])), $"[{i}] whole {a[i]:R}, chunked {b[i]:R}");
        var output = new byte[2 * 200];
        engine.Generate(200, output);
        Assert.Equal(output.AsSpan(whole * 200, 200).ToArray(), output.AsSpan(chunked * 200, 200).ToArray());
    }

    [Fact]
    public void HoldingAClosedSlot_IsRefused()
    {
        using var engine = new CpuStepEngine(CpuWeights.Random(new MambaConfig(16, 2), seed: 1), 2);
        var error = Assert.Throws<InvalidOperationException>(() => engine.SetHeld(1, true));
        Assert.Contains("slot 1", error.Message);
        Assert.Throws<ArgumentException>(() => engine.ContinuePrime(engine.Open(SamplingSettings.Default(1)), []));
    }
}
