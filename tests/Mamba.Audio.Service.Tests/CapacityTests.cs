using Mamba.Audio.Service.Batching;
using Mamba.Audio.Service.Metrics;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Model;

namespace Mamba.Audio.Service.Tests;

/// <summary>
/// The capacity probe on the real CPU engine. The sample rate sets how long a chunk of audio lasts, so
/// the same model is "too slow" at 10 MHz (a 128-sample chunk lasts 12.8 µs) and keeps every slot at 1 Hz.
/// </summary>
public class CapacityTests
{
    private static readonly CpuWeights Tiny = CpuWeights.Random(new MambaConfig(16, 2), 3);

    [Fact]
    public void Probe_DoublesTheStreams_UntilAStepOutlastsItsAudio_AndClosesThemAfter()
    {
        using var engine = new CpuStepEngine(Tiny, 16, new CpuEngineOptions(1));
        var everything = BatchCapacity.Measure(engine, chunk: 128, sampleRate: 1);
        Assert.Equal([1, 2, 4, 8, 16], everything.Points.Select(p => p.Streams));
        Assert.Equal(16, everything.RealTimeStreams);
        Assert.All(everything.Points, p => Assert.True(p.StepMilliseconds > 0));
        Assert.Equal(0, engine.ActiveCount);

        var nothing = BatchCapacity.Measure(engine, chunk: 128, sampleRate: 10_000_000);
        Assert.Single(nothing.Points);
        Assert.Equal(0, nothing.RealTimeStreams);
        Assert.Equal(0, engine.ActiveCount);
        Assert.Contains("1: ", nothing.Describe());
    }

    [Fact]
    public void Probe_BetweenPoints_InterpolatesTheStreamsThatFitTheBudget()
    {
        using var engine = new CpuStepEngine(Tiny, 64, new CpuEngineOptions(1));
        var at16k = BatchCapacity.Measure(engine, chunk: 128, sampleRate: 16000);
        double budget = at16k.Headroom * at16k.ChunkMilliseconds;
        // Every measured count up to the estimate fit the budget; the first count past it did not (or every slot fit).
        var fit = at16k.Points.Where(p => p.Streams <= at16k.RealTimeStreams).ToList();
        Assert.All(fit.SkipLast(1), p => Assert.True(p.StepMilliseconds <= budget, $"{p.Streams} streams: {p.StepMilliseconds} ms"));
        if (at16k.RealTimeStreams < engine.Slots) Assert.Contains(at16k.Points, p => p.StepMilliseconds > budget);
    }

    [Fact]
    public void AutoSlots_GiveTheMeasuredCount_OrRefuseAModelThatKeepsNoStreamInRealTime()
    {
        var metrics = new ServiceMetrics();
        using (var catalog = new ModelCatalog([new ModelSource("one-hz", null, Tiny, 1)], null, ServiceEngine.Cpu, 1, metrics))
        {
            var batch = catalog.Find(null)!;
            Assert.Equal(ModelCatalog.MaxAutoSlotsCpu, batch.Slots);          // at 1 Hz every slot keeps up
            Assert.Equal(batch.Slots, batch.Capacity!.RealTimeStreams);
        }
        var error = Assert.Throws<ArgumentException>(() => new ModelCatalog([new ModelSource("ten-mhz", null, Tiny, 10_000_000)], null, ServiceEngine.Cpu, 1, metrics));
        Assert.Contains("--slots auto: model ten-mhz keeps no stream in real time", error.Message);
        Assert.Contains("Give --slots N", error.Message);
    }
}
