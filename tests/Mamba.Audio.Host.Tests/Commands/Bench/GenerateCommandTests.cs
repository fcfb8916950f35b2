using System.Text.Json;

namespace Mamba.Audio.Host.Tests.Commands.Bench;

public class GenerateCommandTests
{
    [Fact]
    public void TinyRun_WritesJsonWithEngineMemoryAndTransformerRows()
    {
        var dir = Directory.CreateTempSubdirectory("mamba-bench-generate-test-");
        try
        {
            var json = Path.Combine(dir.FullName, "generate.json");
            int code = MambaAudioApp.Run(new[] { "bench", "generate", "--presets", "tiny", "--streams", "1,2", "--engines", "cpu,torch",
                "--device", "cpu", "--runs", "1", "--seconds-per-run", "0.05", "--contexts", "64,256", "--transformer-steps", "1",
                "--memory-seconds", "0.5,1", "--memory-preset", "tiny", "--json", json });
            Assert.Equal(0, code);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var root = doc.RootElement;

            var engines = root.GetProperty("Engines").EnumerateArray().ToList();
            Assert.Equal(new[] { "cpu/1", "cpu/2", "torch-cpu/1", "torch-cpu/2" },
                engines.Select(e => $"{e.GetProperty("Engine").GetString()}/{e.GetProperty("Streams").GetInt32()}"));
            Assert.All(engines, e => Assert.True(e.GetProperty("SamplesPerSecond").GetDouble() > 0));
            Assert.All(engines, e => Assert.Equal("tiny", e.GetProperty("Preset").GetString()));

            var memory = root.GetProperty("Memory").EnumerateArray().ToList();
            Assert.Equal(new[] { 0.5, 1.0 }, memory.Select(m => m.GetProperty("Seconds").GetDouble()));
            Assert.All(memory, m => Assert.True(m.GetProperty("PeakMemoryBytes").GetInt64() > 10_000_000));

            var transformer = root.GetProperty("Transformer");
            var rows = transformer.GetProperty("Rows").EnumerateArray().ToList();
            Assert.Equal(new long[] { 64, 256 }, rows.Select(r => r.GetProperty("Context").GetInt64()));
            Assert.Equal(4 * rows[0].GetProperty("CacheBytesPerStream").GetInt64(), rows[1].GetProperty("CacheBytesPerStream").GetInt64());
            Assert.All(rows, r => Assert.True(r.GetProperty("SecondsPerSample").GetDouble() > 0));

            var mamba = root.GetProperty("Mamba");
            Assert.Equal(2 * 40 * 32 * 4, mamba.GetProperty("StateBytesPerStream").GetInt64());   // 2 layers x 40 d_model floats
            Assert.True(mamba.GetProperty("CpuEngineSecondsPerSample").GetDouble() > 0);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("--presets", "huge")]
    [InlineData("--streams", "0")]
    [InlineData("--streams", "1,x")]
    [InlineData("--engines", "gpu")]
    [InlineData("--contexts", "-1")]
    [InlineData("--memory-seconds", "0")]
    [InlineData("--runs", "0")]
    public void BadOption_IsRejectedWithExitCode2(string option, string value)
    {
        int code = MambaAudioApp.Run(new[] { "bench", "generate", option, value, "--json", Path.Combine(Path.GetTempPath(), "never.json") });
        Assert.Equal(2, code);
    }
}
