namespace Mamba.Audio.Host.Terminal;

/// <summary>
/// The first Ctrl-C (or SIGINT) of a long benchmark ends its training early instead of the process,
/// so the run still evaluates and writes its report.
/// </summary>
public static class CtrlC
{
    public static T StopsTraining<T>(CancellationToken outer, Func<CancellationToken, T> run)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(outer);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return run(stop.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
