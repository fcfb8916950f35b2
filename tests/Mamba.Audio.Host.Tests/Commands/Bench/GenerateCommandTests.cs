using System.Text.Json;
using Mamba.Audio.Host.Tests.Support;

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
            int code = MambaAudioApp.Run(new[] { "bench", "generate", "--presets", "tiny", "--streams", "1,2", "--engines", "cpu,torch", "--vector-widths", "auto,scalar", "--vector-widths", "auto,scalar",
                "--device", "cpu", "--runs", "1", "--seconds-per-run", "0.05", "--contexts", "64,256", "--transformer-steps", "1",
                "--memory-seconds", "0.5,1", "--memory-preset", "tiny", "--json", json });
            Assert.Equal(0, code);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var root = doc.RootElement;

            var engines = root.GetProperty("Engines").EnumerateArray().ToList();
            Assert.Equal(new[] { "cpu/1", "cpu/2", "cpu-scalar/1", "cpu-scalar/2", "torch-cpu/1", "torch-cpu/2" },
                engines.Select(e => $"{e.GetProperty("Engine").GetString()}/{e.GetProperty("Streams").GetInt32()}"));
            foreach (var e in engines)
            {
                // The derived figures agree with the measured total (at 16 kHz).
                double total = e.GetProperty("SamplesPerSecond").GetDouble(), perStream = e.GetProperty("SamplesPerSecondPerStream").GetDouble();
                Assert.True(total > 0);
                Assert.Equal(total, perStream * e.GetProperty("Streams").GetInt32(), 6);
                Assert.Equal(perStream / 16000, e.GetProperty("RealTimeFactor").GetDouble(), 9);
            }
            Assert.All(engines, e => Assert.Equal("tiny", e.GetProperty("Preset").GetString()));

            var memory = root.GetProperty("Memory").EnumerateArray().ToList();
            Assert.Equal(new[] { 0.5, 1.0 }, memory.Select(m => m.GetProperty("Seconds").GetDouble()));
            Assert.All(memory, m => Assert.True(m.GetProperty("PeakMemoryBytes").GetInt64() > 10_000_000));

            var transformer = root.GetProperty("Transformer");
            var rows = transformer.GetProperty("Rows").EnumerateArray().ToList();
            Assert.Equal(new long[] { 64, 256 }, rows.Select(r => r.GetProperty("Context").GetInt64()));
            Assert.Equal(4 * rows[0].GetProperty("CacheBytesPerStream").GetInt64(), rows[1].GetProperty("CacheBytesPerStream").GetInt64());
            Assert.All(rows, r => Assert.True(r.GetProperty("SecondsPerSample").GetDouble() > 0));

            var mamba = transformer.GetProperty("Mamba");
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
    [InlineData("--vector-widths", "128")]
    [InlineData("--contexts", "-1")]
    [InlineData("--memory-seconds", "0")]
    [InlineData("--runs", "0")]
    public void BadOption_IsRejectedWithExitCode2_AndAMessageNamingIt(string option, string value)
    {
        var result = HostRun.Run("bench", "generate", option, value, "--json", Path.Combine(Path.GetTempPath(), "never.json"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{option} {value}", result.Output);
    }
}
