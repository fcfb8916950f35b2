namespace Mamba.Training.Runs;

/// <summary>
/// A named moment where a kill test stops the process: with MAMBA_AUDIO_PAUSE_AT set to its name,
/// <see cref="Reached"/> prints "paused at NAME" and sleeps, so the test can SIGKILL the process at
/// exactly that moment (a random kill lands in a short window like pruning about once in 17 runs).
/// Unset, it costs one comparison.
/// </summary>
public static class PausePoint
{
    private static readonly string? Wanted = Environment.GetEnvironmentVariable("MAMBA_AUDIO_PAUSE_AT");

    public static void Reached(string name)
    {
        if (Wanted != name) return;
        Console.Out.WriteLine($"paused at {name}");
        Console.Out.Flush();
        Thread.Sleep(TimeSpan.FromSeconds(60));
    }
}
