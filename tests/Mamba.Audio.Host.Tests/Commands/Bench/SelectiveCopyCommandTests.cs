using System.Text.Json;

namespace Mamba.Audio.Host.Tests.Commands.Bench;

public class SelectiveCopyCommandTests
{
    [Fact]
    public void ShortRun_WritesJsonWithAccuracyAndSettings()
    {
        var dir = Directory.CreateTempSubdirectory("mamba-bench-");
        try
        {
            var json = Path.Combine(dir.FullName, "result.json");
            int code = MambaAudioApp.Run(new[] { "bench", "selective-copy", "--preset", "quick", "--steps", "5", "--device", "cpu", "--json", json });
            Assert.Equal(0, code);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var root = doc.RootElement;
            double accuracy = root.GetProperty("TokenAccuracy").GetDouble();
            Assert.InRange(accuracy, 0.0, 1.0);
            Assert.Equal(5, root.GetProperty("Settings").GetProperty("Steps").GetInt32());
            Assert.Equal(64, root.GetProperty("Settings").GetProperty("Task").GetProperty("Length").GetInt32());
            Assert.True(root.GetProperty("Parameters").GetInt64() > 0);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Checks_RecordAccuracyAgainstTrainingTime()
    {
        var dir = Directory.CreateTempSubdirectory("mamba-bench-");
        try
        {
            var json = Path.Combine(dir.FullName, "result.json");
            int code = MambaAudioApp.Run(new[] { "bench", "selective-copy", "--preset", "quick", "--steps", "6", "--check-every", "3", "--device", "cpu", "--json", json });
            Assert.Equal(0, code);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var checks = doc.RootElement.GetProperty("Checks").EnumerateArray().ToArray();
            Assert.Equal([3, 6], checks.Select(c => c.GetProperty("Step").GetInt32()));
            Assert.True(checks[1].GetProperty("Seconds").GetDouble() > checks[0].GetProperty("Seconds").GetDouble());
            Assert.All(checks, c => Assert.InRange(c.GetProperty("TokenAccuracy").GetDouble(), 0.0, 1.0));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("--stop-at", "0.9")]
    [InlineData("--check-every", "-1")]
    [InlineData("--length", "0")]
    [InlineData("--tokens", "0")]
    [InlineData("--preset", "huge")]
    [InlineData("--device", "tpu")]
    public void BadOption_IsRejectedWithExitCode2(string option, string value)
    {
        int code = MambaAudioApp.Run(new[] { "bench", "selective-copy", option, value, "--steps", "1", "--json", Path.Combine(Path.GetTempPath(), "never.json") });
        Assert.Equal(2, code);
    }
}
