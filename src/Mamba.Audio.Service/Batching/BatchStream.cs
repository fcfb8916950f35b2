using System.Runtime.CompilerServices;
using Mamba.Audio.Streaming;
using Mamba.Core.Sampling;

namespace Mamba.Audio.Service.Batching;

/// <summary>
/// One stream in a model's batch, as its session sees it: the ring it reads generated classes from,
/// a signal for "more classes or the end", and the requests it makes of the batch (pause, sampling,
/// leave). The batch thread owns the engine slot; everything here is safe across the two threads.
/// </summary>
public sealed class BatchStream
{
    private readonly SemaphoreSlim available = new(0, 1);
    private readonly ModelBatch batch;
    private volatile bool paused, left, finished;
    private long promptLeft;
    private StrongBox<SamplingSettings>? sampling;   // boxed: swapped whole between the threads

    internal BatchStream(ModelBatch batch, StreamRequest request)
    {
        this.batch = batch;
        Request = request;
        Ring = new SpscRing<byte>(request.RingSamples);
        promptLeft = request.Prompt?.Length ?? 0;
    }

    public StreamRequest Request { get; }
    /// <summary>Generated classes not yet taken by the session; the batch generates for the stream only while a chunk fits.</summary>
    public SpscRing<byte> Ring { get; }
    public ModelBatch Batch => batch;

    /// <summary>Prompt classes not yet primed; the stream generates once it is 0.</summary>
    public long PromptLeft => Interlocked.Read(ref promptLeft);

    /// <summary>True once every requested class is in the ring (or the batch gave the stream up).</summary>
    public bool Finished => finished;
    public bool Paused => paused;

    /// <summary>Why the batch gave up on the stream (an engine failure), or null.</summary>
    public string? Failure { get; private set; }

    /// <summary>Classes written to the ring so far (batch thread writes, anyone reads).</summary>
    public long Generated => Interlocked.Read(ref generated);
    private long generated;

    // ---- the session's side ----

    /// <summary>Waits until the ring gained classes or the stream finished, or the timeout passed.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancel) => available.WaitAsync(timeout, cancel);

    /// <summary>Reads classes and tells the batch that there is room again.</summary>
    public int Read(Span<byte> destination)
    {
        int n = Ring.Read(destination);
        if (n > 0) batch.Wake();
        return n;
    }

    public void Pause(bool pause)
    {
        paused = pause;
        batch.Wake();
    }

    /// <summary>New temperature and top-p (the seed's RNG goes on).</summary>
    public void SetSampling(SamplingSettings settings)
    {
        Volatile.Write(ref sampling, new StrongBox<SamplingSettings>(settings.Validate()));
        batch.Wake();
    }

    /// <summary>Leaves the batch: the slot is closed at the next step boundary.</summary>
    public void Leave()
    {
        left = true;
        batch.Wake();
    }

    // ---- the batch thread's side ----

    internal int Slot { get; set; } = -1;
    internal bool Left => left;
    internal bool Held { get; set; }

    internal SamplingSettings? TakeSampling() => Interlocked.Exchange(ref sampling, null)?.Value;

    internal void Primed(int samples) => Interlocked.Add(ref promptLeft, -samples);

    internal void Wrote(ReadOnlySpan<byte> classes)
    {
        if (Ring.Write(classes) != classes.Length) throw new InvalidOperationException($"the ring had no room for {classes.Length} classes; the batch checks Free first.");
        Interlocked.Add(ref generated, classes.Length);
        if (Generated >= Request.TotalSamples) finished = true;
        Signal();
    }

    internal void Fail(string reason)
    {
        Failure = reason;
        finished = true;
        Signal();
    }

    private void Signal()
    {
        if (available.CurrentCount == 0)
        {
            try { available.Release(); } catch (SemaphoreFullException) { }
        }
    }
}
