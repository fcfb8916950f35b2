using Mamba.Audio.Host.Tests.Support;

namespace Mamba.Audio.Host.Tests.Commands;

/// <summary>
/// Every bad command line is exit code 2 with a message that names the option, the value and what
/// it may be, before anything runs; user strings with brackets are printed, never parsed as markup.
/// </summary>
public class OptionErrorTests : IDisposable
{
    private readonly TempFolder folder = new();

    [Theory]
    // unknown options, with the nearest valid one (before: ignored, the command ran with defaults)
    [InlineData("train --corpus c --out r --step 2", "unknown option --step; did you mean --steps?")]
    [InlineData("render --checkpoint c --out o.wav --secnds 0.1", "unknown option --secnds; did you mean --seconds?")]
    [InlineData("prepare in --out c --strcit", "unknown option --strcit; did you mean --strict?")]
    [InlineData("render --frobnicate 1", "render: unknown option --frobnicate; see `mamba-audio render --help`")]
    [InlineData("bench generate --vector-width 512", "did you mean --vector-widths?")]
    // values that are not numbers of the option's type (before: "Failed to convert 'inf' to Double", no option named)
    [InlineData("train --corpus c --out r --lr inf", "--lr inf: expected a number")]
    [InlineData("train --corpus c --out r --minutes nan", "--minutes nan: expected a finite number")]
    [InlineData("train --corpus c --out r --weight-decay NaN", "--weight-decay NaN: expected a finite number")]
    [InlineData("train --corpus c --out r --lr Infinity", "--lr Infinity: expected a finite number")]
    [InlineData("render --checkpoint c --out o.wav --seed -1", "--seed -1: expected a whole number in 0..18446744073709551615")]
    [InlineData("render --checkpoint c --out o.wav --takes 2.5", "--takes 2.5: expected a whole number")]
    [InlineData("render --checkpoint c --out o.wav --seconds", "--seconds needs a value")]
    // ranges (before: TimeSpan and int overflows ended in stack traces)
    [InlineData("train --corpus c --out r --minutes 1e20", "--minutes 1E+20: must be in (0, 525600] (a year)")]
    [InlineData("train --corpus c --out r --steps 9223372036854775807 --device cpu", "--steps 9223372036854775807: must be in 1..1,000,000,000,000")]
    [InlineData("train --corpus c --out r --crop 4194304 --batch 512 --device cpu", "--batch 512 x --crop 4194304: 2,147,484,160 samples per step; at most 268,435,456")]
    [InlineData("train --corpus c --out r --weight-decay -1 --device cpu", "--weight-decay -1: must be in [0, 10]")]
    [InlineData("prepare in --out c --rate 1", "--rate 1: must be in 1000..384000 Hz")]
    // evaluate
    [InlineData("evaluate --corpus c", "--checkpoint: the Mamba checkpoint to score is required.")]
    [InlineData("evaluate --checkpoint m --corpus c --crop 0", "--crop 0: must be in 1..16777216.")]
    [InlineData("evaluate --checkpoint m --corpus c --batches 0", "--batches 0: must be in 1..1000000.")]
    // data-parallel training
    [InlineData("train --corpus c --out r --world-size 2 --batch 5", "--batch 5 does not divide among 2 ranks")]
    [InlineData("train --corpus c --out r --rank 1", "--rank needs --world-size")]
    [InlineData("train --corpus c --out r --world-size 2 --rank 2", "--rank 2: must be in 0..1 for --world-size 2")]
    [InlineData("train --corpus c --out r --gpus 2 --world-size 2", "give either --gpus or --world-size/--rank, not both")]
    [InlineData("train --corpus c --out r --gpus 2 --device cpu", "--gpus with --device cpu: each rank takes a GPU of its own")]
    [InlineData("train --corpus c --out r --world-size 2 --rendezvous nowhere", "--rendezvous nowhere: expected HOST:PORT")]
    [InlineData("train --corpus c --out r --world-size 2 --collective mpi", "--collective mpi: expected auto, nccl or tcp")]
    // matrix product precision
    [InlineData("train --corpus c --out r --matmul bf16", "--matmul bf16: expected fp32 or tf32")]
    [InlineData("train --corpus c --out r --matmul tf32 --device cpu", "--matmul tf32 with --device cpu: tf32 is a CUDA tensor-core format")]
    public void BadCommandLine_IsExit2_NamingTheOptionAndWhatItMayBe(string commandLine, string expected)
    {
        var result = HostRun.Run(commandLine.Split(' '));
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}:\n{result.Output}");
        Assert.Contains(expected, result.Output);
        Assert.DoesNotContain("Unhandled exception", result.Output);
        Assert.DoesNotContain("   at ", result.Output);
    }

    [Fact]
    public void EveryCommand_IsCheckedByOptionCheck()
    {
        foreach (var command in HelpTests.Commands.Select(c => (string)c.Data).Where(c => c is not ("" or "bench")))
            Assert.True(MambaAudioApp.Commands.ContainsKey(command), $"'{command}' has no settings type in MambaAudioApp.Commands");
    }

    [Fact]
    public void PathsWithBrackets_ArePrinted_NotParsedAsMarkup()
    {
        // Before: train --out 'run[1]' trained, then died on the result table (exit 134).
        var input = folder.File("in[put]");
        for (int voice = 0; voice < 3; voice++) ToneFiles.Write(Path.Combine(input, $"v{voice}_a.wav"), 16000, 0.5, 300 + 100 * voice);
        var corpus = folder.File("corpus[1]");
        var prepare = HostRun.Run("prepare", input, "--out", corpus, "--group-by", "^(v\\d)_", "--validation-fraction", "0.5");
        Assert.True(prepare.ExitCode == 0, prepare.Output);
        var run = folder.File("run[1]");
        var train = HostRun.Run("train", "--corpus", corpus, "--out", run, "--preset", "tiny", "--steps", "2", "--crop", "64", "--batch", "2",
            "--eval-every", "1", "--eval-batches", "1", "--checkpoint-every", "1", "--device", "cpu");
        Assert.True(train.ExitCode == 0, train.Output);
        Assert.Contains("run[1]", train.Output);
        var render = HostRun.Run("render", "--checkpoint", run, "--out", folder.File("take[1].wav"), "--seconds", "0.1");
        Assert.True(render.ExitCode == 0, render.Output);
        Assert.Contains("take[1].wav", render.Output);
    }

    public void Dispose() => folder.Dispose();
}
