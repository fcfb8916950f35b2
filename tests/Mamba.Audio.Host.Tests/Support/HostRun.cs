using System.Diagnostics;

namespace Mamba.Audio.Host.Tests.Support;

/// <summary>Runs `mamba-audio` (the built mamba-audio.dll beside the tests) as a child process, as a user would.</summary>
public static class HostRun
{
    public sealed record Result(int ExitCode, string Output, string StandardOutput, string StandardError);

    /// <summary>
    /// The command line that starts mamba-audio: the dotnet host and the dll; or, where the tests run
    /// published without .NET (the GPU host, docs/GPU.md), the self-contained executable $MAMBA_AUDIO_HOST.
    /// </summary>
    public static string[] Command => Environment.GetEnvironmentVariable("MAMBA_AUDIO_HOST") is { Length: > 0 } host
        ? [host]
        : [Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", Path.Combine(AppContext.BaseDirectory, "mamba-audio.dll")];

    /// <summary>Runs to the end (at most <paramref name="timeoutSeconds"/>) and returns the exit code and output.</summary>
    public static Result Run(params string[] arguments) => Run(arguments, timeoutSeconds: 300);

    public static Result Run(string[] arguments, int timeoutSeconds, IReadOnlyDictionary<string, string>? environment = null) =>
        Start([.. Command, .. arguments], timeoutSeconds, environment);

    /// <summary>
    /// Runs so that file permissions apply (root reads and writes everything): under the root
    /// account through setpriv with CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH dropped from the
    /// bounding set, so the child is still root and reaches the test binaries wherever the clone
    /// lies (a private mktemp folder included), but a file or folder of mode 000 is closed to it;
    /// else as this user.
    /// </summary>
    public static Result RunUnprivileged(params string[] arguments) =>
        Environment.UserName != "root" ? Run(arguments)
            : Start(["setpriv", "--bounding-set", "-dac_override,-dac_read_search", .. Command, .. arguments], 300, null);

    /// <summary>Runs a bash script; $MAMBA_AUDIO in it starts mamba-audio.</summary>
    public static Result Shell(string script, int timeoutSeconds = 300) =>
        Start(["bash", "-c", script], timeoutSeconds, new Dictionary<string, string> { ["MAMBA_AUDIO"] = string.Join(' ', Command.Select(c => $"'{c}'")) });

    private static Result Start(string[] command, int timeoutSeconds, IReadOnlyDictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in command[1..]) info.ArgumentList.Add(a);
        if (environment is not null) foreach (var (k, v) in environment) info.Environment[k] = v;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {command[0]}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', command)} ran past {timeoutSeconds} s");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result + stderr.Result, stdout.Result, stderr.Result);
    }
}
