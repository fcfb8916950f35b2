using Mamba.Audio.Tests.Support;
using Mamba.Training.Models;
using Mamba.Training.Runs;
using Mamba.Training.Tests.Support;
using static TorchSharp.torch;

namespace Mamba.Training.Tests.Runs;

/// <summary>
/// A run directory is new, empty, or a run of this tool resumed: anything else is refused with
/// nothing touched, and a configuration that cannot fit in memory is refused before it allocates.
/// </summary>
public class RunDirectoryTests
{
    private static TrainOptions Tiny(string output, long steps) =>
        new(SampleCorpus.Digits, output, AudioModelSpec.FromPreset("tiny", Architecture.Mamba),
            CropLength: 256, Batch: 4, Steps: steps, WarmupSteps: 2, EvalEvery: 5, EvalBatches: 1, CheckpointEvery: 5, KeepLast: 2, ReportEvery: 1, Seed: 2);

    /// <summary>Every file below a folder with its bytes, to show that nothing changed.</summary>
    internal static Dictionary<string, string> Snapshot(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AFolderOfTheUsersFiles_IsRefused_AndNothingInItIsTouched(bool resume)
    {
        // Before: train deleted best/, best.old/ and .cache.tmp/, cut metrics.jsonl to one line and replaced loss.png.
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.File("best"));
        File.WriteAllText(folder.File("best/important.txt"), "thesis");
        Directory.CreateDirectory(folder.File("best.old"));
        File.WriteAllText(folder.File("best.old/draft.txt"), "draft");
        Directory.CreateDirectory(folder.File(".cache.tmp"));
        File.WriteAllText(folder.File(".cache.tmp/blob"), "cache");
        File.WriteAllLines(folder.File("metrics.jsonl"), ["{\"step\":1}", "{\"step\":2}", "{\"step\":3}"]);
        File.WriteAllBytes(folder.File("loss.png"), [1, 2, 3]);
        File.WriteAllText(folder.File("notes.txt"), "notes");
        var before = Snapshot(folder.Path);
        var entries = Directory.GetFileSystemEntries(folder.Path, "*", SearchOption.AllDirectories).Order().ToList();

        var error = Assert.Throws<ArgumentException>(() => Trainer.Run(Tiny(folder.Path, 5) with { Resume = resume }, CPU, new TrainingRecorder(), TestContext.Current.CancellationToken));
        Assert.Contains("is not a run of mamba-audio", error.Message);
        Assert.Contains("Nothing was changed", error.Message);
        Assert.Equal(before, Snapshot(folder.Path));
        Assert.Equal(entries, Directory.GetFileSystemEntries(folder.Path, "*", SearchOption.AllDirectories).Order().ToList());
    }

    [Fact]
    public void AFinishedRun_RunAgainWithoutResume_IsRefused_AndKeepsBestAndMetrics()
    {
        // Before: the second run replaced best/ and truncated metrics.jsonl.
        using var folder = new TempFolder();
        Trainer.Run(Tiny(folder.Path, 5), CPU, new TrainingRecorder(), TestContext.Current.CancellationToken);
        Assert.True(File.Exists(folder.File(RunDirectory.MarkerFileName)));
        var before = Snapshot(folder.Path);
        var error = Assert.Throws<ArgumentException>(() => Trainer.Run(Tiny(folder.Path, 5), CPU, new TrainingRecorder(), TestContext.Current.CancellationToken));
        Assert.Contains("already holds a run of mamba-audio; pass --resume", error.Message);
        Assert.Equal(before, Snapshot(folder.Path));
    }

    [Fact]
    public void ANewOrEmptyFolder_BecomesARun()
    {
        using var folder = new TempFolder();
        var fresh = Path.Combine(folder.Path, "new", "run");
        Trainer.Run(Tiny(fresh, 1), CPU, new TrainingRecorder(), TestContext.Current.CancellationToken);
        Assert.True(File.Exists(Path.Combine(fresh, RunDirectory.MarkerFileName)));
        Directory.CreateDirectory(folder.File("empty"));
        Trainer.Run(Tiny(folder.File("empty"), 1), CPU, new TrainingRecorder(), TestContext.Current.CancellationToken);
        Assert.True(File.Exists(folder.File("empty/" + RunDirectory.MarkerFileName)));
    }

    [Theory]
    [InlineData(8192, 256, 2048, 8)]        // about 107 G parameters
    [InlineData(32, 2, 4194304, 32)]        // 134 M samples a step
    public void AConfigurationThatCannotFit_IsRefusedWithTheEstimate_BeforeAnythingIsAllocated(int dModel, int layers, int crop, int batch)
    {
        // Before: both started allocating until the kernel killed the process.
        using var folder = new TempFolder();
        var run = folder.File("run");
        var options = Tiny(run, 10) with { Model = new AudioModelSpec(Architecture.Mamba, dModel, layers), CropLength = crop, Batch = batch };
        var error = Assert.Throws<ArgumentException>(() => Trainer.Run(options, CPU, new TrainingRecorder(), TestContext.Current.CancellationToken));
        Assert.Contains("this configuration needs at least", error.Message);
        Assert.Contains("this machine has", error.Message);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void TheMemoryEstimate_IsALowerBound_OfWhatTrainingTheSmallModelUses()
    {
        var spec = AudioModelSpec.FromPreset("small", Architecture.Mamba);
        var estimate = TrainingMemory.Estimate(spec, batch: 8, crop: 2048);
        Assert.Equal(16 * spec.MambaConfig.ParameterCount, estimate.ParameterBytes);
        // 8 x 2048 samples x (4 layers x 4 x 64 + 512) floats: 128 MiB; the measured peak of that run is higher (BENCHMARKS.md).
        Assert.Equal(8L * 2048 * (4 * 4 * 64 + 512) * 4, estimate.ActivationBytes);
    }

    [Fact]
    public void AnEtaPastWhatTimeSpanHolds_Saturates()
    {
        // Before: --steps 9223372036854775807 overflowed TimeSpan in the first progress line.
        Assert.Equal(TimeSpan.MaxValue, Trainer.Eta(long.MaxValue - 1, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(50), Trainer.Eta(100, 0.5));
    }
}
