using Mamba.Audio.Host.Tests.Support;

namespace Mamba.Audio.Host.Tests.Commands;

/// <summary>
/// Every command and subcommand answers --help with its usage and exit code 0. (Descriptions are
/// Spectre markup: an unescaped bracket such as "(0, 1]" or a regex made --help abort with exit 134.)
/// </summary>
public class HelpTests
{
    public static TheoryData<string> Commands => new() { "", "prepare", "train", "render", "evaluate", "play", "plugins", "devices", "bench", "bench selective-copy", "bench induction-heads", "bench scan", "bench generate" };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Help_PrintsUsage_AndExitsZero(string command)
    {
        var args = command.Split(' ', StringSplitOptions.RemoveEmptyEntries).Append("--help").ToArray();
        var result = HostRun.Run(args);
        Assert.True(result.ExitCode == 0, $"mamba-audio {string.Join(' ', args)} exited {result.ExitCode}:\n{result.Output}");
        Assert.Contains("USAGE:", result.StandardOutput);
        Assert.Contains("mamba-audio " + command, result.StandardOutput);
        Assert.Equal("", result.StandardError);
    }

    [Fact]
    public void Help_ShowsBracketsInDescriptions_AsWritten()
    {
        var prepare = HostRun.Run("prepare", "--help").StandardOutput;
        Assert.Contains("'^([^_]+)_'", prepare.Replace("\n", "").Replace(" ", ""));
        var render = HostRun.Run("render", "--help").StandardOutput;
        Assert.Contains("(0, 1]", render);
    }

    [Theory]
    [InlineData("render --secnds 3", "secnds")]
    [InlineData("bench generate --vector-width 512", "vector-width")]
    [InlineData("prepare samples --out /tmp/never --validaton-fraction 0.2", "validaton-fraction")]
    [InlineData("train --corpus x --out y --stepz 3", "stepz")]
    public void MisspeltOption_IsRefusedWithExitCode2_AndNamed(string command, string option)
    {
        // Before, Spectre.Console.Cli kept unknown options as remaining arguments: the command ran with defaults.
        var result = HostRun.Run(command.Split(' '));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(option, result.Output);
    }
}
