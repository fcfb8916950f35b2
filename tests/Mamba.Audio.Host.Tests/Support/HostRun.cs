using System.Diagnostics;

namespace Mamba.Audio.Host.Tests.Support;

/// <summary>Runs `mamba-audio` (the built mamba-audio.dll beside the tests) as a child process, as a user would.</summary>
public static class HostRun
{
    public sealed record Result(int ExitCode, string Output, string StandardOutput, string StandardError);

    /// <summary>Runs to the end (at most <paramref name="timeoutSeconds"/>) and returns the exit code and output.</summary>
    public static Result Run(params string[] arguments) => Run(arguments, timeoutSeconds: 300);

    public static Result Run(string[] arguments, int timeoutSeconds, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mamba-audio.dll"));
        foreach (var a in arguments) info.ArgumentList.Add(a);
        if (environment is not null) foreach (var (k, v) in environment) info.Environment[k] = v;
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start mamba-audio");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"mamba-audio {string.Join(' ', arguments)} ran past {timeoutSeconds} s");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result + stderr.Result, stdout.Result, stderr.Result);
    }
}
