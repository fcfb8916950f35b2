using System.Text.Json;

namespace Mamba.Audio.Host.Tests.Commands.Bench;

public class ServeBenchCommandTests
{
    /// <summary>A short real run on loopback: the JSON's rows and the figures that explain them agree with each other.</summary>
    [Fact]
    public void ShortRun_WritesLoadRowsWithStepsStreamsAndEngineBusy()
    {
        var dir = Directory.CreateTempSubdirectory("mamba-bench-serve-test-");
        try
        {
            var json = Path.Combine(dir.FullName, "serve.json");
            int code = MambaAudioApp.Run(["bench", "serve", "--preset", "tiny", "--streams", "1,2", "--seconds", "1", "--json", json]);
            Assert.Equal(0, code);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var root = doc.RootElement;
            Assert.Equal([1, 2], root.GetProperty("Batching").EnumerateArray().Select(b => b.GetProperty("Streams").GetInt32()));
            var load = root.GetProperty("Load").EnumerateArray().ToList();
            Assert.Equal([1, 2], load.Select(r => r.GetProperty("Streams").GetInt32()));
            foreach (var r in load)
            {
                Assert.True(r.GetProperty("Complete").GetBoolean());
                // One second at 16 kHz in blocks of 1024: 16 blocks a stream, the last one partial.
                Assert.Equal(16 * r.GetProperty("Streams").GetInt32(), r.GetProperty("Blocks").GetInt64());
                Assert.InRange(r.GetProperty("StepMsMean").GetDouble(), 0.001, 1000);
                Assert.InRange(r.GetProperty("StreamsPerStepMean").GetDouble(), 1, r.GetProperty("Streams").GetInt32());
                Assert.InRange(r.GetProperty("EngineBusy").GetDouble(), 1e-6, 1);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
