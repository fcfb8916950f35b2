using System.Diagnostics;

namespace Mamba.Audio.Host.Tests.Support;

/// <summary>
/// A real PulseAudio server for a test: its own runtime folder and socket, a null sink of 16-bit
/// mono at a given rate (what it plays can be recorded from its monitor, bit for bit), started here
/// and killed on dispose. Needs the Debian packages pulseaudio and pulseaudio-utils (.ci/run installs them).
/// </summary>
public sealed class PulseServer : IDisposable
{
    private readonly Process process;
    private readonly string folder;

    public PulseServer(int rate = 16000, string sink = "mamba_test")
    {
        folder = Directory.CreateTempSubdirectory("mamba-pulse-").FullName;
        Sink = sink;
        Server = $"unix:{Path.Combine(folder, "native")}";
        var info = new ProcessStartInfo("pulseaudio") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no", "--disable-shm=yes", "--log-target=stderr",
                     $"--load=module-null-sink sink_name={sink} rate={rate} channels=1 format=s16le",
                     $"--load=module-native-protocol-unix socket={Path.Combine(folder, "native")} auth-anonymous=1" })
            info.ArgumentList.Add(a);
        info.Environment["XDG_RUNTIME_DIR"] = folder;
        info.Environment["HOME"] = folder;
        info.Environment["PULSE_RUNTIME_PATH"] = folder;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("pulseaudio is not installed (Debian: apt install pulseaudio pulseaudio-utils; .ci/run does it).", e);
        }
        process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(folder, "native")))
        {
            if (process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(20))
                throw new InvalidOperationException($"pulseaudio did not start:\n{Log}");
            Thread.Sleep(50);
        }
    }

    private readonly System.Text.StringBuilder log = new();

    public string Log { get { lock (log) return log.ToString(); } }

    /// <summary>The address to give clients (--server, PULSE_SERVER).</summary>
    public string Server { get; }

    public string Sink { get; }

    /// <summary>Starts recording the sink's monitor as raw 16-bit mono samples into <paramref name="path"/>.</summary>
    public Process RecordMonitor(string path, int rate = 16000)
    {
        var info = new ProcessStartInfo("parecord") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in new[] { $"--server={Server}", $"--device={Sink}.monitor", "--raw", "--format=s16le", $"--rate={rate}", "--channels=1", "--latency-msec=10", path })
            info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    public void Dispose()
    {
        try { process.Kill(entireProcessTree: true); process.WaitForExit(); } catch (InvalidOperationException) { }
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }
}
