using System.Text.Json.Nodes;
using Mamba.Audio.Tests.Support;
using Mamba.Training.Models;
using Mamba.Training.Optimization;
using Mamba.Training.Runs;
using Mamba.Training.Tests.Support;
using static TorchSharp.torch;

namespace Mamba.Training.Tests.Runs;

/// <summary>
/// --resume falls back past a newest checkpoint damaged in any of its parts, saying which and why,
/// and a larger --steps extends a run with the rate going on from where it was and the data order
/// of an uninterrupted run.
/// </summary>
public class ResumeTests(ITestOutputHelper output)
{
    private static TrainOptions Tiny(string output, long steps) =>
        new(SampleCorpus.Digits, output, AudioModelSpec.FromPreset("tiny", Architecture.Mamba),
            CropLength: 256, Batch: 4, Steps: steps, WarmupSteps: 4, EvalEvery: 10, EvalBatches: 1, CheckpointEvery: 10, KeepLast: 2, ReportEvery: 1, Seed: 7);

    private static readonly Lazy<string> TwentySteps = new(() =>
    {
        var run = Path.Combine(Path.GetTempPath(), $"mamba-resume-base-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Trainer.Run(Tiny(run, 20), CPU, new TrainingRecorder(), CancellationToken.None);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(run, true); } catch (IOException) { } };
        return run;
    });

    public static TheoryData<string, string> Damages => new()
    {
        { "training.json missing", "training.json: cannot be read" },
        { "training.json of only a step", "incomplete training state: no architecture" },
        { "optimizer.bin missing", "optimizer.bin: missing" },
        { "optimizer.bin with a flipped bit", "does not match" },
        { "optimizer.bin truncated, no hash (an earlier version's checkpoint)", "optimizer.bin: cannot be loaded" },
        { "model.safetensors missing", "model.safetensors" },
        { "an empty newer step directory", "step-00000030" },
    };

    [Theory]
    [MemberData(nameof(Damages))]
    public void ANewestCheckpointDamagedInAnyPart_IsSkippedByName_AndTheOneBeforeResumes(string damage, string reason)
    {
        // Before: each of the first five ended the resume ("the data changed" for the state of only a step).
        using var folder = new TempFolder();
        var run = folder.File("run");
        CopyDirectory(TwentySteps.Value, run);
        var newest = Path.Combine(run, "checkpoints", TrainingCheckpoints.StepName(20));
        string expectedFrom = Path.Combine(run, "checkpoints", TrainingCheckpoints.StepName(damage.StartsWith("an empty") ? 20 : 10));
        switch (damage)
        {
            case "training.json missing": File.Delete(Path.Combine(newest, "training.json")); break;
            case "training.json of only a step": File.WriteAllText(Path.Combine(newest, "training.json"), "{\"step\":20}"); break;
            case "optimizer.bin missing": File.Delete(Path.Combine(newest, "optimizer.bin")); break;
            case "optimizer.bin with a flipped bit":
                var bytes = File.ReadAllBytes(Path.Combine(newest, "optimizer.bin"));
                bytes[bytes.Length / 2] ^= 0x10;
                File.WriteAllBytes(Path.Combine(newest, "optimizer.bin"), bytes);
                break;
            case "optimizer.bin truncated, no hash (an earlier version's checkpoint)":
                var state = JsonNode.Parse(File.ReadAllText(Path.Combine(newest, "training.json")))!.AsObject();
                state.Remove("optimizer_sha256");
                File.WriteAllText(Path.Combine(newest, "training.json"), state.ToJsonString());
                var optimizer = Path.Combine(newest, "optimizer.bin");
                File.WriteAllBytes(optimizer, File.ReadAllBytes(optimizer)[..100]);
                break;
            case "model.safetensors missing": File.Delete(Path.Combine(newest, "model.safetensors")); break;
            case "an empty newer step directory": Directory.CreateDirectory(Path.Combine(run, "checkpoints", TrainingCheckpoints.StepName(30))); break;
        }

        var recorder = new TrainingRecorder();
        var result = Trainer.Run(Tiny(run, 20) with { Resume = true }, CPU, recorder, TestContext.Current.CancellationToken);
        output.WriteLine(string.Join("\n", recorder.Messages));
        Assert.Equal(20, result.Step);
        var skipped = Assert.Single(recorder.Messages, m => m.StartsWith("skipping", StringComparison.Ordinal));
        Assert.Contains(reason, skipped);
        Assert.Contains(recorder.Messages, m => m.Contains($"resuming from {expectedFrom}"));
    }

    [Fact]
    public void ALargerSteps_ExtendsTheRun_FromTheRateItHad_WithTheDataOfAStraightRun()
    {
        // Before: --resume refused any change of --steps, so a finished run could never be extended.
        using var straightFolder = new TempFolder();
        using var folder = new TempFolder();
        var straight = new TrainingRecorder();
        Trainer.Run(Tiny(straightFolder.Path, 40), CPU, straight, TestContext.Current.CancellationToken);

        var first = new TrainingRecorder(stopAt: 15);
        Trainer.Run(Tiny(folder.Path, 30), CPU, first, first.Stop.Token);
        var old = new WarmupCosineSchedule(2e-3, 4, 30, 0.1);
        var shorter = Assert.Throws<ArgumentException>(() => Trainer.Run(Tiny(folder.Path, 20) with { Resume = true }, CPU, new TrainingRecorder(), TestContext.Current.CancellationToken));
        Assert.Contains("not shortened", shorter.Message);

        var extended = new TrainingRecorder(stopAt: 25);
        Trainer.Run(Tiny(folder.Path, 40) with { Resume = true }, CPU, extended, extended.Stop.Token);
        Assert.Contains(extended.Messages, m => m.Contains("extending the run from 30 to 40 steps"));
        Assert.Equal(16, extended.Steps[0].Step);
        Assert.Equal(old.RateAt(15), extended.Steps[0].LearningRate, 12);    // no jump at the extension

        var rest = new TrainingRecorder();
        var finished = Trainer.Run(Tiny(folder.Path, 40) with { Resume = true }, CPU, rest, TestContext.Current.CancellationToken);
        Assert.Equal(40, finished.Step);
        Assert.DoesNotContain(rest.Messages, m => m.Contains("extending"));
        var combined = first.Steps.Concat(extended.Steps).Concat(rest.Steps).ToList();
        Assert.Equal(straight.Steps.Select(s => s.DataFingerprint), combined.Select(s => s.DataFingerprint));
        // The rate falls monotonically after warm-up and ends at the minimum, across both resumes.
        var rates = combined.Select(s => s.LearningRate).ToList();
        for (int i = 5; i < rates.Count; i++) Assert.True(rates[i] <= rates[i - 1] + 1e-15, $"step {i + 1}: rate {rates[i]} rose from {rates[i - 1]}");
        Assert.InRange(rates[^1], 2e-4, 2.1e-4);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var directory in Directory.GetDirectories(from)) CopyDirectory(directory, Path.Combine(to, Path.GetFileName(directory)));
    }
}
