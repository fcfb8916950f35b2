using System.Diagnostics;
using Mamba.Audio.Generation;
using Mamba.Audio.Host.Commands;
using NAudio.Wave;

namespace Mamba.Audio.Host.Tests.Commands;

/// <summary>
/// A real `mamba-audio render` process of an hour, SIGKILLed mid-way: the WAV it leaves (under its
/// working name, NAME.partial.wav, so no one takes it for a whole render) reads back with every
/// whole block written so far, and those are the samples an uninterrupted render of that length writes.
/// </summary>
public class RenderProcessKillTests
{
    [Fact]
    public void RenderKilledMidWay_LeavesAPlayableFileOfWholeBlocks_WithTheSamplesWrittenSoFar()
    {
        int seed = TestSeed.Fresh();
        var random = new Random(seed);
        var root = Directory.CreateTempSubdirectory("mamba-render-kill-").FullName;
        try
        {
            var checkpoint = RenderCommandTests.TinyCheckpoint(Path.Combine(root, "model"));
            string path = Path.Combine(root, "hour.wav"), partial = Path.Combine(root, "hour.partial.wav");
            const int block = 4096;
            var host = Path.Combine(AppContext.BaseDirectory, "mamba-audio.dll");
            var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { host, "render", "--checkpoint", checkpoint, "--out", path, "--seconds", "3600", "--seed", $"{seed}",
                         "--engine", "cpu", "--device", "cpu", "--threads", "1", "--block", $"{block}" })
                info.ArgumentList.Add(a);
            var output = new System.Text.StringBuilder();
            using var process = new Process { StartInfo = info };
            process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            // Wait until a first block is on disk, then a random moment more, then SIGKILL.
            var clock = Stopwatch.StartNew();
            while (!(File.Exists(partial) && new FileInfo(partial).Length >= 44 + 2 * block) && clock.Elapsed < TimeSpan.FromSeconds(120) && !process.HasExited)
                Thread.Sleep(20);
            Thread.Sleep(random.Next(0, 1500));
            Assert.False(process.HasExited, $"seed {seed}: the render ended before the kill:\n{output}");
            process.Kill(entireProcessTree: true);   // SIGKILL on Linux: no handler runs
            process.WaitForExit();

            byte[] written;
            Assert.False(File.Exists(path), $"seed {seed}: a killed render left a file under the final name");
            using (var reader = new WaveFileReader(partial))
            {
                Assert.Equal(new WaveFormat(16000, 16, 1), reader.WaveFormat);
                Assert.True(reader.SampleCount >= block, $"seed {seed}: {reader.SampleCount} samples, less than a block");
                Assert.True(reader.SampleCount % block == 0, $"seed {seed}: {reader.SampleCount} samples is not whole blocks of {block}");
                Assert.True(reader.SampleCount < 3600L * 16000);
                written = new byte[reader.Length];
                reader.ReadExactly(written);
            }

            // The same command asked for exactly that length writes exactly those samples.
            string reference = Path.Combine(root, "reference.wav");
            double seconds = written.Length / 2 / 16000.0;
            Assert.Equal(0, MambaAudioApp.Run(new[] { "render", "--checkpoint", checkpoint, "--out", reference, "--seconds", $"{seconds:R}",
                "--seed", $"{seed}", "--engine", "cpu", "--device", "cpu", "--threads", "1" }));
            using var expected = new WaveFileReader(reference);
            Assert.Equal(written.Length, expected.Length);
            var expectedBytes = new byte[expected.Length];
            expected.ReadExactly(expectedBytes);
            Assert.True(expectedBytes.AsSpan().SequenceEqual(written), $"seed {seed}: the killed file's samples differ from an uninterrupted render");
            Assert.False(File.Exists(RenderOutputs.SidecarPath(path)), "a killed render writes no sidecar");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
