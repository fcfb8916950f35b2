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
                Assert.True(WaitFor(() => output.ToString().Contains("starting at") || output.ToString().Contains("resuming at"), TimeSpan.FromSeconds(120)),
                    $"seed {seed}: the child did not start:\n{output}");
                Thread.Sleep(delay);
                Assert.False(process.HasExited, $"seed {seed}: the run ended before kill {kill + 1}; make it longer:\n{output}");
                process.Kill(entireProcessTree: true);   // SIGKILL on Linux: no handler runs
                process.WaitForExit();

                if (kill > 0 && newestBefore >= 0)
                    Assert.Matches(new Regex($@"resuming from .*step-{newestBefore:D8} \(step {newestBefore}\)"), output.ToString());
                newestBefore = CheckEveryCheckpointLoads(run, seed);
            }

            var (last, lastOutput) = StartTrain(corpus, run, resume: true);
            Assert.True(last.WaitForExit(TimeSpan.FromMinutes(5)), $"seed {seed}: the final run did not finish:\n{lastOutput}");
            Assert.True(last.ExitCode == 0, $"seed {seed}: exit code {last.ExitCode}:\n{lastOutput}");
            if (newestBefore >= 0) Assert.Contains($"(step {newestBefore})", lastOutput.ToString());
            CheckEveryCheckpointLoads(run, seed);

            // The same command without interruptions, in a fresh directory.
            var straight = Path.Combine(root, "straight");
            var (reference, referenceOutput) = StartTrain(corpus, straight, resume: false);
            Assert.True(reference.WaitForExit(TimeSpan.FromMinutes(5)) && reference.ExitCode == 0, $"reference run failed:\n{referenceOutput}");

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

    /// <summary>Loads every complete checkpoint (and best/); returns the newest step, or -1.</summary>
    private static long CheckEveryCheckpointLoads(string run, int seed)
    {
        var checkpoints = new TrainingCheckpoints(run, 3);
        var directories = checkpoints.StepDirectories().ToList();
        if (Directory.Exists(checkpoints.Best)) directories.Add(checkpoints.Best);
        foreach (var directory in directories)
        {
            var state = TrainingCheckpoints.ReadState(directory);
            using var model = AudioModel.Load(directory, CPU, out _);
            Assert.True(File.Exists(Path.Combine(directory, TrainingCheckpoints.OptimizerFileName)), $"seed {seed}: {directory} has no optimiser state");
            if (directory != checkpoints.Best) Assert.EndsWith(TrainingCheckpoints.StepName(state.Step), directory);
        }
        return checkpoints.StepDirectories().Select(d => TrainingCheckpoints.ReadState(d).Step).DefaultIfEmpty(-1).Max();
    }

    private static Dictionary<long, (string Data, double Loss)> Reports(string run) =>
        MetricsLog.Read(Path.Combine(run, "metrics.jsonl")).Where(e => e["loss_bits"] is not null)
            .ToDictionary(e => e["step"]!.GetValue<long>(), e => (e["data"]!.GetValue<string>(), e["loss_bits"]!.GetValue<double>()));

    private static (Process, System.Text.StringBuilder) StartTrain(string corpus, string run, bool resume)
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
        var output = new System.Text.StringBuilder();
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
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
