namespace Mamba.Core.Engines.Cpu;

/// <summary>
/// A fixed set of worker threads that run one job split in parts: part 0 on the calling thread,
/// parts 1.. on the workers, and <see cref="Run"/> returns when all are done. Started once; a run
/// allocates nothing (the job is a delegate the owner caches). Exceptions in a part are rethrown by Run.
/// </summary>
internal sealed class CpuWorkers : IDisposable
{
    private readonly Thread[] threads;
    private readonly SemaphoreSlim[] start;
    private readonly ManualResetEventSlim done = new(false);
    private Action<int>? job;
    private int remaining;
    private volatile bool stopping;
    private Exception? failure;

    /// <param name="parts">The most parts a run can have (the calling thread included).</param>
    public CpuWorkers(int parts)
    {
        if (parts < 1) throw new ArgumentOutOfRangeException(nameof(parts), parts, "at least one part.");
        threads = new Thread[parts - 1];
        start = new SemaphoreSlim[parts - 1];
        for (int i = 0; i < threads.Length; i++)
        {
            int part = i + 1;
            start[i] = new SemaphoreSlim(0);
            threads[i] = new Thread(() => Loop(part)) { IsBackground = true, Name = $"CpuStepEngine worker {part}" };
            threads[i].Start();
        }
    }

    public int MaxParts => threads.Length + 1;

    /// <summary>Runs job(0..parts-1), part 0 here; returns when every part has finished.</summary>
    public void Run(int parts, Action<int> work)
    {
        if (parts < 1 || parts > MaxParts) throw new ArgumentOutOfRangeException(nameof(parts), parts, $"1..{MaxParts} parts.");
        if (parts == 1) { work(0); return; }
        job = work;
        failure = null;
        done.Reset();
        Volatile.Write(ref remaining, parts - 1);
        for (int p = 1; p < parts; p++) start[p - 1].Release();
        try { work(0); }
        finally { done.Wait(); job = null; }
        if (failure is { } e) throw new AggregateException("a CpuStepEngine worker failed.", e);
    }

    private void Loop(int part)
    {
        var signal = start[part - 1];
        while (true)
        {
            signal.Wait();
            if (stopping) return;
            try { job!(part); }
            catch (Exception e) { failure = e; }
            if (Interlocked.Decrement(ref remaining) == 0) done.Set();
        }
    }

    public void Dispose()
    {
        stopping = true;
        foreach (var s in start) s.Release();
        foreach (var t in threads) t.Join();
        foreach (var s in start) s.Dispose();
        done.Dispose();
    }
}
