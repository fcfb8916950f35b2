using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using Spectre.Console;

namespace Mamba.Audio.Host.Commands;

/// <summary>
/// `train --gpus N` / `train --world-size N` without --rank: starts N ranks of this same program on
/// this machine (rank r on GPU r, CUDA_VISIBLE_DEVICES=r, when training on GPUs), meeting at a free
/// loopback port, and watches them: their output comes through with a [rank r] prefix (rank 0's
/// as it is), Ctrl-C is passed on so every rank stops after the same step with a checkpoint, and
/// when one rank fails the others are stopped and the failure is named.
/// </summary>
internal static class TrainLauncher
{
    private const int SigInt = 2;

    /// <summary>Set in every rank the launcher starts: the rank watches its standard input for the launcher's end.</summary>
    public const string LauncherWatchVariable = "MAMBA_AUDIO_WATCH_LAUNCHER";

    /// <summary>In a rank: cancels <paramref name="stop"/> when standard input closes (the launcher is gone).</summary>
    public static void WatchLauncher(CancellationTokenSource stop)
    {
        if (Environment.GetEnvironmentVariable(LauncherWatchVariable) != "1") return;
        var watcher = new Thread(() =>
        {
            try
            {
                using var input = Console.OpenStandardInput();
                var buffer = new byte[64];
                while (input.Read(buffer) > 0) { }
            }
            catch (IOException) { }
            try
            {
                if (stop.IsCancellationRequested) return;
                Console.Error.WriteLine("the launcher is gone: stopping after this step, with a checkpoint");
                stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The run had already ended.
            }
        }) { IsBackground = true, Name = "launcher watch" };
        watcher.Start();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <param name="rankArguments">The arguments of rank r: the user's options plus its place in the world.</param>
    public static int Run(int ranks, bool onGpus, Func<int, int, IReadOnlyList<string>> rankArguments, CancellationToken cancellationToken)
    {
        int port = FreeLoopbackPort();
        // Rank 0's header line says which collective the ranks use.
        AnsiConsole.MarkupLineInterpolated($"[grey]launching[/] [bold]{ranks} ranks[/]{(onGpus ? " (one a GPU)" : "")} [grey]meeting at 127.0.0.1:{port}[/]");
        var processes = new Process[ranks];
        var gate = new object();
        int failedRank = -1;
        using var stopped = new ManualResetEventSlim();
        // The ranks finish their step and checkpoint; this process waits for them.
        void Interrupt() { foreach (var p in processes) if (p is { HasExited: false }) Kill(p.Id, SigInt); }
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            Interrupt();
        };
        Console.CancelKeyPress += onCancel;
        using var onToken = cancellationToken.Register(Interrupt);
        try
        {
            for (int r = 0; r < ranks; r++)
            {
                var info = new ProcessStartInfo(Program())
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    // Never written: when this process dies, however it dies, the pipe closes and the
                    // rank stops after its step with a checkpoint instead of training on unwatched.
                    RedirectStandardInput = true,
                    UseShellExecute = false,
                };
                info.Environment[LauncherWatchVariable] = "1";
                foreach (var a in ProgramPrefix()) info.ArgumentList.Add(a);
                foreach (var a in rankArguments(r, port)) info.ArgumentList.Add(a);
                if (onGpus) info.Environment["CUDA_VISIBLE_DEVICES"] = r.ToString(System.Globalization.CultureInfo.InvariantCulture);
                info.Environment.TryAdd("NCCL_NVLS_ENABLE", "0");
                var process = new Process { StartInfo = info, EnableRaisingEvents = true };
                int rank = r;
                string prefix = r == 0 ? "" : $"[rank {r}] ";
                process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (gate) Console.Out.WriteLine(prefix + e.Data); };
                process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (gate) Console.Error.WriteLine(prefix + e.Data); };
                process.Exited += (_, _) =>
                {
                    lock (gate)
                    {
                        if (process.ExitCode != 0 && failedRank < 0) failedRank = rank;
                    }
                    stopped.Set();
                };
                if (!process.Start()) throw new InvalidOperationException($"could not start rank {r}.");
                processes[r] = process;
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
            }

            // Wait for all; the first failure stops the rest (a rank waiting on a dead one would wait forever).
            while (processes.Any(p => !p.HasExited))
            {
                stopped.Wait(TimeSpan.FromMilliseconds(200));
                stopped.Reset();
                int failed;
                lock (gate) failed = failedRank;
                if (failed >= 0)
                {
                    foreach (var p in processes) if (!p.HasExited) p.Kill(entireProcessTree: true);
                    break;
                }
            }
            foreach (var p in processes) p.WaitForExit();
            if (failedRank >= 0)
            {
                int code = processes[failedRank].ExitCode;
                AnsiConsole.MarkupLineInterpolated($"[red]rank {failedRank} exited with code {code}{Describe(code)}; the other ranks were stopped.[/] Checkpoints in --out are whole; continue with --resume (on any number of ranks that divides --batch).");
                return code is > 0 and < 256 ? code : 1;
            }
            AnsiConsole.MarkupLineInterpolated($"[green]all {ranks} ranks finished[/]");
            return 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            foreach (var p in processes)
            {
                if (p is null) continue;
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                p.Dispose();
            }
        }
    }

    private static string Describe(int code) => code switch
    {
        137 or -9 => " (killed: SIGKILL, often the out-of-memory killer)",
        134 or -6 => " (aborted)",
        139 or -11 => " (segmentation fault)",
        _ => "",
    };

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>This program: the apphost or self-contained executable, or `dotnet` with mamba-audio.dll.</summary>
    private static string Program() => Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which executable this process runs.");

    private static IEnumerable<string> ProgramPrefix()
    {
        var name = Path.GetFileNameWithoutExtension(Program());
        if (name == "dotnet") yield return Assembly.GetEntryAssembly()?.Location ?? throw new InvalidOperationException("cannot tell which assembly this process runs.");
    }
}
