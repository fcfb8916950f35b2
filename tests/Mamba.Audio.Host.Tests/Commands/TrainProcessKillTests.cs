using System.Diagnostics;
using System.Text.RegularExpressions;
using Mamba.Training.Models;
using Mamba.Training.Runs;
using static TorchSharp.torch;

namespace Mamba.Audio.Host.Tests.Commands;

/// <summary>
/// A real `mamba-audio train` process, killed with SIGKILL at random moments and resumed: every
/// checkpoint on disk loads, each resume starts at the newest checkpoint, and the finished run
/// drew exactly the data an uninterrupted run draws.
/// </summary>
public class TrainProcessKillTests
{
    private static readonly string[] TrainArguments =
    {
        "--preset", "tiny", "--crop", "512", "--batch", "4", "--steps", "400", "--eval-every", "50",
        "--checkpoint-every", "7", "--keep", "3", "--seed", "11", "--device", "cpu",
    };

    [Fact]
    public void TrainingKilledAtRandomMoments_KeepsLoadableCheckpoints_AndResumesExactly()
    {
        int seed = TestSeed.Fresh();
        var random = new Random(seed);
        var root = Directory.CreateTempSubdirectory("mamba-kill-").FullName;
        try
        {
            var corpus = Path.Combine(root, "corpus");
            Assert.Equal(0, MambaAudioApp.Run(new[] { "prepare", SamplesDigits, "--out", corpus, "--validation-fraction", "0.2", "--group-by", "^([^_]+)_" }));
            var run = Path.Combine(root, "run");

            long newestBefore = -1;
            for (int kill = 0; kill < 3; kill++)
            {
                var (process, output) = StartTrain(corpus, run, resume: kill > 0);
                // Wait for a random moment after the process starts training, then SIGKILL it.
                var delay = TimeSpan.FromMilliseconds(random.Next(500, 4000));
                Assert.True(WaitFor(() => output.Text.Contains("starting at") || output.Text.Contains("resuming at"), TimeSpan.FromSeconds(120)),
                    $"seed {seed}: the child did not start:\n{output.Text}");
                Thread.Sleep(delay);
                if (process.HasExited) Assert.Fail($"seed {seed}: the run ended before kill {kill + 1}; make it longer:\n{output.Text}");
                process.Kill(entireProcessTree: true);   // SIGKILL on Linux: no handler runs
                process.WaitForExit();

                if (kill > 0 && newestBefore >= 0)
                    Assert.Matches(new Regex($@"resuming from .*step-{newestBefore:D8} \(step {newestBefore}\)"), output.Text);
                newestBefore = CheckEveryCheckpointLoads(run, seed);
            }

            var (last, lastOutput) = StartTrain(corpus, run, resume: true);
            if (!last.WaitForExit(TimeSpan.FromMinutes(5))) Assert.Fail($"seed {seed}: the final run did not finish:\n{lastOutput.Text}");
            last.WaitForExit();   // and its output handlers are done: the text is whole
            if (last.ExitCode != 0) Assert.Fail($"seed {seed}: exit code {last.ExitCode}:\n{lastOutput.Text}");
            if (newestBefore >= 0) Assert.Contains($"(step {newestBefore})", lastOutput.Text);
            CheckEveryCheckpointLoads(run, seed);

            // The same command without interruptions, in a fresh directory.
            var straight = Path.Combine(root, "straight");
            var (reference, referenceOutput) = StartTrain(corpus, straight, resume: false);
            if (!(reference.WaitForExit(TimeSpan.FromMinutes(5)) && reference.ExitCode == 0)) Assert.Fail($"reference run failed:\n{referenceOutput.Text}");

            var killed = Reports(run);
            var expected = Reports(straight);
            Assert.Equal(expected.Keys, killed.Keys);            // every report step present once
            foreach (var (step, (data, loss)) in expected)
            {
                Assert.True(killed[step].Data == data, $"seed {seed}: step {step} drew other data after the kills");
                Assert.True(Math.Abs(killed[step].Loss - loss) < 1e-3, $"seed {seed}: step {step} loss {killed[step].Loss} vs {loss}");
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void TrainingKilledWhilePruning_LeavesOnlyCompleteCheckpoints_AndTheNextRunCleansUp()
    {
        // Before: a kill during pruning (1 of 17 random kills) left checkpoints/step-N without its
        // model, which render called "not a checkpoint directory"; and a torn .loss.png.<guid>.tmp
        // survived every later resume. The pause point stops the child at exactly that moment.
        int seed = TestSeed.Fresh();
        var root = Directory.CreateTempSubdirectory("mamba-prune-kill-").FullName;
        try
        {
            var corpus = Path.Combine(root, "corpus");
            Assert.Equal(0, MambaAudioApp.Run(new[] { "prepare", SamplesDigits, "--out", corpus, "--validation-fraction", "0.2", "--group-by", "^([^_]+)_" }));
            var run = Path.Combine(root, "run");
            var (process, output) = StartTrain(corpus, run, resume: false, new Dictionary<string, string> { ["MAMBA_AUDIO_PAUSE_AT"] = "prune" });
            // --checkpoint-every 7 --keep 3: the fourth checkpoint (step 28) prunes the first.
            if (!WaitFor(() => output.Text.Contains("paused at prune"), TimeSpan.FromSeconds(180)))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"seed {seed}: the child never reached pruning:\n{output.Text}");
            }
            process.Kill(entireProcessTree: true);
            process.WaitForExit();

            var checkpoints = Path.Combine(run, "checkpoints");
            var doomed = Assert.Single(Directory.GetDirectories(checkpoints, ".step-*.tmp"));
            Assert.Contains(TrainingCheckpoints.StepName(7), doomed);
            long newest = CheckEveryCheckpointLoads(run, seed);
            Assert.Equal(28, newest);
            var render = Support.HostRun.Run("render", "--checkpoint", Path.Combine(checkpoints, TrainingCheckpoints.StepName(newest)),
                "--out", Path.Combine(root, "after-kill.wav"), "--seconds", "0.1");
            Assert.True(render.ExitCode == 0, render.Output);

            Assert.True(Directory.Exists(doomed), "the checkpoint being pruned should still lie under its temporary name");
            var torn = Path.Combine(run, $".loss.png.{Guid.NewGuid():N}.tmp");
            File.WriteAllText(torn, "a write cut by a kill");
            var (resumed, resumedOutput) = StartTrain(corpus, run, resume: true);
            bool started = WaitFor(() => resumedOutput.Text.Contains("resuming at"), TimeSpan.FromSeconds(120));
            resumed.Kill(entireProcessTree: true);
            resumed.WaitForExit();
            if (!started) Assert.Fail($"seed {seed}: the resume did not start:\n{resumedOutput.Text}");
            Assert.False(Directory.Exists(doomed), "the half-deleted checkpoint was not cleaned up");
            Assert.False(File.Exists(torn), "the stray temporary file was not cleaned up");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// Loads every checkpoint under a step name (and best/); returns the newest step, or -1. Lists
    /// the directories itself: a TrainingCheckpoints would clean up the run first and hide what a kill left.
    /// </summary>
    private static long CheckEveryCheckpointLoads(string run, int seed)
    {
        var steps = Directory.GetDirectories(Path.Combine(run, "checkpoints"), "step-*").Where(d => !Path.GetFileName(d).Contains('.')).ToList();
        var best = Path.Combine(run, "best");
        foreach (var directory in Directory.Exists(best) ? steps.Append(best) : steps)
        {
            var state = TrainingCheckpoints.ReadState(directory);
            using var model = AudioModel.Load(directory, CPU, out _);
            Assert.True(File.Exists(Path.Combine(directory, TrainingCheckpoints.OptimizerFileName)), $"seed {seed}: {directory} has no optimiser state");
            TrainingCheckpoints.VerifyOptimizer(directory, state);
            if (directory != best) Assert.EndsWith(TrainingCheckpoints.StepName(state.Step), directory);
        }
        return steps.Select(d => TrainingCheckpoints.ReadState(d).Step).DefaultIfEmpty(-1).Max();
    }

    private static Dictionary<long, (string Data, double Loss)> Reports(string run) =>
        MetricsLog.Read(Path.Combine(run, "metrics.jsonl")).Where(e => e["loss_bits"] is not null)
            .ToDictionary(e => e["step"]!.GetValue<long>(), e => (e["data"]!.GetValue<string>(), e["loss_bits"]!.GetValue<double>()));

    /// <summary>A child's output, appended by its output handlers on other threads: read only through <see cref="Text"/>, under the same lock.</summary>
    private sealed class ChildOutput
    {
        private readonly System.Text.StringBuilder text = new();
        public void Append(string? line) { lock (text) text.AppendLine(line); }
        public string Text { get { lock (text) return text.ToString(); } }
    }

    private static (Process, ChildOutput) StartTrain(string corpus, string run, bool resume, IReadOnlyDictionary<string, string>? environment = null)
    {
        // The app host beside the tests when there is one (a self-contained publish has no `dotnet`),
        // else the dll through the dotnet that runs the tests.
        var appHost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "mamba-audio.exe" : "mamba-audio");
        bool direct = File.Exists(appHost);
        var info = new ProcessStartInfo(direct ? appHost : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (!direct) info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mamba-audio.dll"));
        foreach (var a in new[] { "train", "--corpus", corpus, "--out", run }.Concat(TrainArguments)) info.ArgumentList.Add(a);
        if (resume) info.ArgumentList.Add("--resume");
        if (environment is not null) foreach (var (k, v) in environment) info.Environment[k] = v;
        var output = new ChildOutput();
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => output.Append(e.Data);
        process.ErrorDataReceived += (_, e) => output.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, output);
    }

    private static bool WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (condition()) return true;
            Thread.Sleep(50);
        }
        return false;
    }

    private static string SamplesDigits => TestRepository.File("samples", "wav", "digits");
}
