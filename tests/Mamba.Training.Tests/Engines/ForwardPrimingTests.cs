using Mamba.Core.Engines;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Model;
using Mamba.Core.Sampling;
using Mamba.Training.Engines;
using Mamba.Training.Model;

namespace Mamba.Training.Tests.Engines;

public class ForwardPrimingTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(300)]
    public void PrimingByParallelForward_GivesTheNextSampleLogits_OfSteppingThePrompt(int length)
    {
        int seed = TestSeed.Fresh();
        var random = new Random(seed);
        var prompt = new byte[length];
        random.NextBytes(prompt);
        using var model = new MambaLM(new MambaConfig(32, 2), seed);
        using var engine = new CpuStepEngine(model.ToCpuWeights(), 2, new CpuEngineOptions(1));
        int forward = engine.Open(SamplingSettings.Default(5));
        int stepped = engine.Open(SamplingSettings.Default(5));
        ForwardPriming.Prime(engine, model, new[] { forward }, prompt);
        engine.Prime(stepped, prompt);   // the CPU engine steps prompt[..^1] through its own kernels

        Assert.Equal(0, engine.SampleCount(forward));
        Assert.Equal(0.0, engine.LogLikelihood(forward));
        var a = engine.ExportState(forward);
        var b = engine.ExportState(stepped);
        Assert.Equal(b.AsSpan(0, StreamSnapshot.HeaderLength).ToArray(), a.AsSpan(0, StreamSnapshot.HeaderLength).ToArray());   // pending, RNG, counts

        var next = new byte[] { (byte)random.Next(256), 0 };
        next[1] = next[0];
        var logits = new float[2 * 256];
        engine.TeacherForce(next, logits);
        double max = 0, sum = 0;
        for (int i = 0; i < 256; i++)
        {
            double e = Math.Abs(logits[i] - logits[256 + i]);
            max = Math.Max(max, e);
            sum += e;
        }
        double stateMax = 0;
        for (int i = StreamSnapshot.HeaderLength; i < a.Length; i++) stateMax = Math.Max(stateMax, Math.Abs(a[i] - b[i]));
        output.WriteLine($"seed {seed}, prompt {length}: logits max |diff| {max:E2}, mean {sum / 256:E2}; state max |diff| {stateMax:E2}");
        Assert.True(max < 1e-4, $"seed {seed}: logits differ by up to {max:E2} (mean {sum / 256:E2})");
        Assert.Equal(engine.LogLikelihood(stepped), engine.LogLikelihood(forward), 1e-4);
    }

    [Fact]
    public void PrimingByParallelForward_KeepsEachSlotsOwnRng()
    {
        using var model = new MambaLM(new MambaConfig(16, 2), 1);
        using var engine = new CpuStepEngine(model.ToCpuWeights(), 2, new CpuEngineOptions(1));
        int a = engine.Open(SamplingSettings.Default(10)), b = engine.Open(SamplingSettings.Default(11));
        ForwardPriming.Prime(engine, model, new[] { a, b }, new byte[] { 1, 2, 3, 200 });
        var output1 = new byte[2 * 64];
        engine.Generate(64, output1);
        Assert.NotEqual(output1.AsSpan(0, 64).ToArray(), output1.AsSpan(64, 64).ToArray());
    }
}
