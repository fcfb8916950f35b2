using System.Text.Json;

namespace Mamba.Audio.Host.Tests.Commands.Bench;

public class InductionHeadsCommandTests
{
    [Fact]
    public void ShortRun_WritesJsonWithEveryTestLength()
    {
        var dir = Directory.CreateTempSubdirectory("mamba-bench-");
        try
        {
            var json = Path.Combine(dir.FullName, "result.json");
            int code = MambaAudioApp.Run(new[] { "bench", "induction-heads", "--preset", "quick", "--steps", "6", "--check-every", "3",
                "--test-lengths", "16,128", "--test-sequences", "8", "--device", "cpu", "--json", json });
            Assert.Equal(0, code);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var root = doc.RootElement;
            Assert.Equal(6, root.GetProperty("Settings").GetProperty("Steps").GetInt32());
            Assert.Equal(64, root.GetProperty("Settings").GetProperty("Task").GetProperty("Length").GetInt32());
            var tests = root.GetProperty("Tests").EnumerateArray().ToArray();
            Assert.Equal([16, 128], tests.Select(t => t.GetProperty("Length").GetInt32()));
            Assert.All(tests, t => Assert.InRange(t.GetProperty("Accuracy").GetDouble(), 0.0, 1.0));
            Assert.Equal([0, 3, 6], root.GetProperty("Checks").EnumerateArray().Select(c => c.GetProperty("Step").GetInt32()));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("--length", "3")]
    [InlineData("--test-lengths", "64,abc")]
    [InlineData("--test-lengths", "2")]
    [InlineData("--stop-at", "1.5")]
    [InlineData("--preset", "huge")]
    [InlineData("--device", "tpu")]
    public void BadOption_IsRejectedWithExitCode2(string option, string value)
    {
        int code = MambaAudioApp.Run(new[] { "bench", "induction-heads", option, value, "--steps", "1", "--json", Path.Combine(Path.GetTempPath(), "never.json") });
        Assert.Equal(2, code);
    }
}
