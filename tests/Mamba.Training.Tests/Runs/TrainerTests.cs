using System.Text.Json.Nodes;
using Mamba.Audio.Corpora;
using Mamba.Training.Models;
using Mamba.Audio.Tests.Support;
using Mamba.Training.Runs;
using Mamba.Training.Tests.Support;
using static TorchSharp.torch;

namespace Mamba.Training.Tests.Runs;

public class TrainerTests(ITestOutputHelper output)
{
    private static TrainOptions Tiny(string output, long steps, long seed) =>
        new(SampleCorpus.Digits, output, AudioModelSpec.FromPreset("tiny", Architecture.Mamba),
            CropLength: 1024, Batch: 8, Steps: steps, LearningRate: 3e-3, WarmupSteps: 20,
            EvalEvery: 50, EvalBatches: 4, CheckpointEvery: 10, KeepLast: 2, ReportEvery: 1, Seed: seed);

    [Fact]
    public void TinyModel_LearnsBelowTheUnigramEntropy_OnSampleSpeech()
    {
        using (var corpus = AudioCorpus.Open(SampleCorpus.Digits))
        {
            var m = corpus.Manifest;
            output.WriteLine($"samples/wav/digits: train {m.Files.Train} clips, {m.Groups.Train} voices; validation {m.Files.Validation} clips, {m.Groups.Validation} voices");
            Assert.True(m.Groups.Validation >= 2, $"validation should hold out at least 2 voices, holds {m.Groups.Validation}");
        }
        using var folder = new TempFolder();
        var recorder = new TrainingRecorder();
        int seed = TestSeed.Fresh();
        var result = Trainer.Run(Tiny(folder.Path, 300, seed) with { CheckpointEvery = 100 }, CPU, recorder, TestContext.Current.CancellationToken);
        output.WriteLine($"seed {seed}: best validation {result.BestValidationBits:F3} bits/sample, unigram entropy {result.UnigramEntropyBits:F3}, margin {result.UnigramEntropyBits - result.BestValidationBits:F3}");
        Assert.Equal(300, result.Step);
        Assert.True(result.BestValidationBits < result.UnigramEntropyBits - 0.5,
            $"seed {seed}: validation {result.BestValidationBits:F3} bits/sample is not clearly below the unigram entropy {result.UnigramEntropyBits:F3}");
        Assert.True(File.Exists(Path.Combine(folder.Path, "loss.png")), "the loss curve is drawn");
        Assert.True(Directory.Exists(Path.Combine(folder.Path, "best")), "the best checkpoint is kept");
        Assert.Equal(2, new TrainingCheckpoints(folder.Path, 2).StepDirectories().Count);
    }

    [Fact]
    public void ARunStoppedAndResumed_DrawsTheSameDataAndReachesTheSameStep()
    {
        int seed = TestSeed.Fresh();
        using var straight = new TempFolder();
        using var resumed = new TempFolder();
        var reference = new TrainingRecorder();
        Trainer.Run(Tiny(straight.Path, 30, seed), CPU, reference, TestContext.Current.CancellationToken);

        var first = new TrainingRecorder(stopAt: 17);
        var stopped = Trainer.Run(Tiny(resumed.Path, 30, seed), CPU, first, first.Stop.Token);
        Assert.True(stopped.Interrupted);
        Assert.Equal(17, stopped.Step);   // Ctrl-C writes a checkpoint at the step reached

        var second = new TrainingRecorder();
        var finished = Trainer.Run(Tiny(resumed.Path, 30, seed) with { Resume = true }, CPU, second, TestContext.Current.CancellationToken);
        Assert.Equal(30, finished.Step);
        Assert.Contains(second.Messages, m => m.Contains("step 17"));
        Assert.Equal(18, second.Steps[0].Step);

        var combined = first.Steps.Concat(second.Steps).ToList();
        Assert.Equal(reference.Steps.Select(s => s.DataFingerprint), combined.Select(s => s.DataFingerprint));
        // The arithmetic is the same; only the order of threaded sums may differ in the last bits.
        for (int i = 0; i < reference.Steps.Count; i++)
            Assert.True(Math.Abs(reference.Steps[i].LossBits - combined[i].LossBits) < 1e-3,
                $"seed {seed}, step {i + 1}: loss {combined[i].LossBits} after resume, {reference.Steps[i].LossBits} straight");

        // metrics.jsonl reads as one run: no step reported twice.
        var steps = MetricsLog.Read(Path.Combine(resumed.Path, "metrics.jsonl")).Where(e => e["loss_bits"] is not null)
            .Select(e => e["step"]!.GetValue<long>()).ToList();
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), steps);
    }

    [Fact]
    public void ResumingWithDifferentOptions_IsRefusedWithTheDifference()
    {
        using var folder = new TempFolder();
        Trainer.Run(Tiny(folder.Path, 10, 3), CPU, new TrainingRecorder(), TestContext.Current.CancellationToken);
        var error = Assert.Throws<ArgumentException>(() =>
            Trainer.Run(Tiny(folder.Path, 20, 3) with { Resume = true, Batch = 4 }, CPU, new TrainingRecorder(), TestContext.Current.CancellationToken));
        Assert.Contains("resume with the same options", error.Message);
    }

    [Fact]
    public void ASecondRunIntoAnOutputWithCheckpoints_NeedsResume()
    {
        using var folder = new TempFolder();
        Trainer.Run(Tiny(folder.Path, 10, 4), CPU, new TrainingRecorder(), TestContext.Current.CancellationToken);
        var error = Assert.Throws<ArgumentException>(() => Trainer.Run(Tiny(folder.Path, 10, 4), CPU, new TrainingRecorder(), TestContext.Current.CancellationToken));
        Assert.Contains("--resume", error.Message);
    }

    [Fact]
    public void TheTransformerBaseline_TrainsThroughTheSamePath()
    {
        using var folder = new TempFolder();
        var options = Tiny(folder.Path, 20, 5) with { Model = AudioModelSpec.FromPreset("tiny", Architecture.Transformer) };
        var result = Trainer.Run(options, CPU, new TrainingRecorder(), TestContext.Current.CancellationToken);
        Assert.Equal(20, result.Step);
        using var loaded = AudioModel.Load(Path.Combine(folder.Path, "checkpoints", TrainingCheckpoints.StepName(20)), CPU, out _);
        Assert.Equal(Architecture.Transformer, loaded.Architecture);
    }
}
