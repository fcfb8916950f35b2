using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Mamba.Audio.Service.Tests.Support;

/// <summary>
/// Debian's nginx in the foreground, configured by the repository's docs/deploy/nginx-two-instances.conf with
/// its fields filled in, listening on a free loopback port; killed with its workers on dispose.
/// </summary>
public sealed class NginxProcess : IAsyncDisposable
{
    private const string Binary = "/usr/sbin/nginx";
    private readonly Process process;
    private readonly string prefix;

    private NginxProcess(Process process, string prefix, int port)
    {
        this.process = process;
        this.prefix = prefix;
        Port = port;
    }

    public int Port { get; }

    public static async Task<NginxProcess> StartAsync(string folder, string upstreamA, string upstreamB)
    {
        if (!File.Exists(Binary))
            throw new FileNotFoundException($"{Binary} is missing: install Debian's nginx (apt-get install nginx; .ci/run does).");
        int port = FreePort();
        string prefix = Path.Combine(folder, "nginx");
        Directory.CreateDirectory(prefix);
        // Run as root, nginx's workers become nobody: they must reach the prefix (CreateTempSubdirectory makes it 700).
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(prefix, (UnixFileMode)0b111_111_111);
        }
        string config = File.ReadAllText(TestRepository.File("docs", "deploy", "nginx-two-instances.conf"))
            .Replace("{{PREFIX}}", prefix).Replace("{{LISTEN}}", $"127.0.0.1:{port}").Replace("{{A}}", upstreamA).Replace("{{B}}", upstreamB);
        Assert.DoesNotContain("{{", config);
        string path = Path.Combine(prefix, "nginx.conf");
        File.WriteAllText(path, config);
        var start = new ProcessStartInfo(Binary) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-p", prefix, "-c", path, "-e", Path.Combine(prefix, "error.log"), "-g", "daemon off;" }) start.ArgumentList.Add(arg);
        var process = Process.Start(start)!;
        var nginx = new NginxProcess(process, prefix, port);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"nginx exited with {process.ExitCode}: {await process.StandardError.ReadToEndAsync()} {nginx.ErrorLog()}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return nginx;
            }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(15)) { await Task.Delay(50); }
        }
    }

    private string ErrorLog()
    {
        string log = Path.Combine(prefix, "error.log");
        return File.Exists(log) ? File.ReadAllText(log) : "";
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }
}
