using Mamba.Audio.Host.Tests.Support;

namespace Mamba.Audio.Host.Tests.Commands;

/// <summary>`serve` as a user starts it: the capacity it measured before serving, and its --slots choices.</summary>
public class ServeCommandTests
{
    private static readonly string Model = TestRepository.File("samples", "models", "digits-small");

    [Fact]
    public void Serve_SaysHowManyStreamsItKeepsInRealTime_AndAutoSlotsUseThatCount()
    {
        var run = HostRun.Run(["serve", "--model", Model, "--no-token", "--port", "0", "--seconds", "0.5", "--slots", "auto"], timeoutSeconds: 120);
        Assert.True(run.ExitCode is 0 or 2, run.Output);
        if (run.ExitCode == 2)
        {
            // A machine too busy for even one stream: the refusal says so and what to do.
            Assert.Contains("--slots auto: model digits-small keeps no stream in real time", run.Output);
            return;
        }
        var keeps = run.Output.Split('\n').Single(l => l.Contains("in real time here"));
        int streams = int.Parse(keeps.Trim().Split(' ')[2]);
        Assert.True(streams >= 1, keeps);
        Assert.Contains($"{streams} slots, chunk 128", run.Output);
        Assert.DoesNotContain("warning:", run.Output);
    }

    [Theory]
    [InlineData("many")]
    [InlineData("0")]
    [InlineData("-3")]
    public void BadSlots_AreRefusedByName(string slots)
    {
        var run = HostRun.Run(["serve", "--model", Model, "--no-token", "--slots", slots], timeoutSeconds: 60);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"--slots {slots}: a count in 1..65536, or auto", run.Output);
    }
}
