using System.Buffers.Binary;
using Mamba.Audio.Files;
using Mamba.Audio.Host.Tests.Support;
using NAudio.Wave;

namespace Mamba.Audio.Host.Tests.Commands;

/// <summary>`play` against a real PulseAudio server: what reaches the sink is bit for bit what the chain made.</summary>
public class PlayCommandTests : IDisposable
{
    private readonly TempFolder folder = new();

    [Theory]
    [InlineData("pulse")]
    [InlineData("alsa")]     // ALSA's "pulse" device (libasound2-plugins) routed to the test's server
    public void AKnownSignalPlayed_IsRecordedFromTheSinksMonitor_BitExact(string backend)
    {
        int seed = TestSeed.Fresh();
        using var pulse = new PulseServer();
        // 0.5 s of silence (the server's start-up eats the beginning), 1 s of seeded noise, 0.5 s of silence.
        var signal = Noise(16000, seed);
        var wav = WriteSignal("signal.wav", signal, tailSilence: true);
        var raw = folder.File("monitor.raw");
        using var recorder = pulse.RecordMonitor(raw);
        Thread.Sleep(500);
        string sink = backend == "alsa" ? $"alsa device=pulse:{pulse.Sink}" : $"pulse server={pulse.Server} device={pulse.Sink}";
        // A 500 ms ring and a 200 ms device buffer: on a loaded 2-core CI machine an underrun of either (the device thread
        // descheduled longer than the 20 ms default buffer: ALSA's pulse device then ran dry once) puts silence into what is compared.
        var result = HostRun.Run(["play", "--chain", $"file path={wav} | {sink} + wav path={folder.File("live.wav")}", "--rate", "16000", "--buffer-ms", "500", "--device-ms", "200"], 120,
            new Dictionary<string, string> { ["PULSE_SERVER"] = pulse.Server });
        Thread.Sleep(500);
        recorder.Kill();
        recorder.WaitForExit();
        Assert.True(result.ExitCode == 0, result.Output + pulse.Log);
        Assert.Contains("underruns", result.Output);
        Assert.Contains(backend == "alsa" ? "output: ALSA, device pulse:" : "output: PulseAudio, sink", result.Output);
        Assert.Contains("0 blocks, 0 samples of silence", result.Output);   // else the comparison below would fail on silence, not on a wrong sample
        if (backend == "alsa") Assert.Matches(@"device underruns \(ALSA xruns, recovered\)\s*│ 0\s", result.Output);

        var recorded = File.ReadAllBytes(raw);
        var samples = new short[recorded.Length / 2];
        for (int i = 0; i < samples.Length; i++) samples[i] = BinaryPrimitives.ReadInt16LittleEndian(recorded.AsSpan(2 * i));
        int start = Array.FindIndex(samples, s => s != 0);
        Assert.True(start >= 0, $"seed {seed}: the monitor recorded only silence ({samples.Length} samples)");
        int first = Array.FindIndex(signal, s => s != 0);
        Assert.True(samples.Length - start >= signal.Length - first, $"seed {seed}: recorded {samples.Length - start} samples after the start, expected {signal.Length - first}");
        for (int i = 0; i < signal.Length - first; i++)
            if (samples[start + i] != signal[first + i]) Assert.Fail($"seed {seed}: sample {i}: recorded {samples[start + i]}, played {signal[first + i]}");

        // The chain's WAV sink holds what the chain made: the file, then silence to the end of the last block.
        using var reader = new WaveFileReader(folder.File("live.wav"));
        Assert.InRange(reader.SampleCount, 32000, 32000 + 160);
        var written = new byte[reader.Length];
        reader.ReadExactly(written);
        using var original = new WaveFileReader(wav);
        var expected = new byte[original.Length];
        original.ReadExactly(expected);
        Assert.True(written.AsSpan(0, expected.Length).SequenceEqual(expected), $"seed {seed}: the wav sink differs from the file played");
    }

    [Theory]
    [InlineData("capture")]
    [InlineData("alsa-capture")]   // ALSA's "pulse" device, routed to the test's server
    public async Task CaptureFromASource_RecordsWhatTheSourceHears_BitExact(string backend)
    {
        int seed = TestSeed.Fresh();
        using var pulse = new PulseServer();
        var signal = Noise(8000, seed);
        var wav = WriteSignal("fed.wav", signal, tailSilence: false);
        var captured = folder.File("captured.wav");
        var info = new System.Diagnostics.ProcessStartInfo(HostRun.Command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string source = backend == "alsa-capture" ? $"alsa-capture device=pulse:{pulse.Sink}.monitor" : $"capture server={pulse.Server} device={pulse.Sink}.monitor";
        foreach (var a in HostRun.Command[1..].Concat(["play", "--chain", $"{source} | wav path={captured}", "--seconds", "3", "--rate", "16000"]))
            info.ArgumentList.Add(a);
        info.Environment["PULSE_SERVER"] = pulse.Server;
        using var play = System.Diagnostics.Process.Start(info)!;
        var output = play.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await Task.Delay(1000, TestContext.Current.CancellationToken);
        // The source is the null sink's monitor: what paplay plays into the sink, the capture hears.
        var feed = new System.Diagnostics.ProcessStartInfo("paplay") { UseShellExecute = false };
        foreach (var a in new[] { $"--server={pulse.Server}", $"--device={pulse.Sink}", wav }) feed.ArgumentList.Add(a);
        using (var paplay = System.Diagnostics.Process.Start(feed)!) paplay.WaitForExit();
        Assert.True(play.WaitForExit(30_000));
        var text = await output;   // (3 s of capture: the 1 s wait, 0.5 s of lead-in and 0.5 s of signal fit)
        Assert.True(play.ExitCode == 0, text);

        using var reader = new WaveFileReader(captured);
        var bytesRead = new byte[reader.Length];
        reader.ReadExactly(bytesRead);
        var samples = new short[bytesRead.Length / 2];
        for (int i = 0; i < samples.Length; i++) samples[i] = BinaryPrimitives.ReadInt16LittleEndian(bytesRead.AsSpan(2 * i));
        // Aligned where the first 16 fed samples appear (the capture starts before the feed).
        int start = -1;
        for (int k = 0; k + 16 <= samples.Length && start < 0; k++)
            if (samples.AsSpan(k, 16).SequenceEqual(signal.AsSpan(0, 16))) start = k;
        Assert.True(start >= 0, $"seed {seed}: the capture never heard the signal ({samples.Length} samples)\n{text}");
        Assert.True(samples.Length - start >= signal.Length, $"seed {seed}: the capture ended {signal.Length - (samples.Length - start)} samples early");
        for (int i = 0; i < signal.Length; i++)
            if (samples[start + i] != signal[i]) Assert.Fail($"seed {seed}: sample {i}: captured {samples[start + i]}, fed {signal[i]}");
    }

    [Fact]
    public void Devices_ListsTheServersSinksAndSourcesByName_AndAlsasDevices()
    {
        using var pulse = new PulseServer(sink: "mamba_listed");
        var up = HostRun.Run(["devices"], 60, new Dictionary<string, string> { ["PULSE_SERVER"] = pulse.Server });
        Assert.Equal(0, up.ExitCode);
        Assert.Contains("a server answers", up.Output);
        Assert.Matches(@"mamba_listed\s+│ output\s+│ Null Output\s+│ yes", up.Output);
        Assert.Matches(@"mamba_listed\.monitor\s+│ input", up.Output);
        Assert.Contains("pulse", up.Output);   // libasound2-plugins' ALSA device
        var down = HostRun.Run(["devices", "--server", $"unix:{folder.File("none")}"], 60);
        Assert.Equal(0, down.ExitCode);
        Assert.Contains("PulseAudio: no server answers at unix:", down.Output);
        Assert.Contains("ALSA device", down.Output);
    }

    [Fact]
    public void Wasapi_OffWindows_IsAClearError()
    {
        var result = HostRun.Run("play", "--chain", "tone | wasapi", "--seconds", "1");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("WASAPI is Windows' audio API and this is not Windows: use pulse or alsa", result.Output);
    }

    [Fact]
    public void NoServer_IsAClearError_NamingWhatIsMissing()
    {
        var result = HostRun.Run("play", "--chain", $"tone | pulse server=unix:{folder.File("no-such-socket")}", "--seconds", "1");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("PulseAudio: cannot open", result.Output);
        Assert.Contains("Is a PulseAudio or PipeWire server running", result.Output);
    }

    [Fact]
    public async Task ParametersTypedWhilePlaying_AreApplied_AndABadOneIsRefusedWithoutStopping()
    {
        using var pulse = new PulseServer();
        var info = new System.Diagnostics.ProcessStartInfo(HostRun.Command[0]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in HostRun.Command[1..].Concat(["play", "--chain", $"tone hz=440 | gain db=-6 | pulse server={pulse.Server} device={pulse.Sink}", "--seconds", "3", "--rate", "16000"]))
            info.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await Task.Delay(1500, TestContext.Current.CancellationToken);
        process.StandardInput.WriteLine("gain db=-20");
        process.StandardInput.WriteLine("tone hz=99999");
        process.StandardInput.WriteLine("show");
        process.StandardInput.Flush();
        Assert.True(process.WaitForExit(30_000));
        var output = await stdout;
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("set gain: db=-20", output);
        Assert.Contains("not changed: tone: hz 99999: must be in 1..20000 Hz", output);
        Assert.Contains("2 gain: db=-20", output);
    }

    private static short[] Noise(int samples, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, samples).Select(_ => (short)random.Next(-20000, 20000))];
    }

    /// <summary>A 16 kHz 16-bit file: 0.5 s of silence (a stream's first samples may be lost as it starts), the signal, and optionally 0.5 s more of silence.</summary>
    private string WriteSignal(string name, short[] signal, bool tailSilence)
    {
        var wav = folder.File(name);
        using var writer = new WaveFileWriter(wav, new WaveFormat(16000, 16, 1));
        writer.Write(new byte[16000], 0, 16000);
        var bytes = new byte[signal.Length * 2];
        for (int i = 0; i < signal.Length; i++) BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(2 * i), signal[i]);
        writer.Write(bytes, 0, bytes.Length);
        if (tailSilence) writer.Write(new byte[16000], 0, 16000);
        return wav;
    }

    public void Dispose() => folder.Dispose();
}
