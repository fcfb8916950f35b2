using System.Collections.Concurrent;
using System.Diagnostics;
using Mamba.Core.Engines;
using Mamba.Core.Model;

namespace Mamba.Audio.Service.Batching;

/// <summary>
/// Continuous batching for one model: one thread owns one engine, and each of its steps advances
/// every stream that has room in its ring by one chunk, in one <see cref="IStepEngine.Generate"/>
/// call. Streams join and leave between steps and slots are reused; a stream whose ring is full (its
/// listener is ahead by the ring's length), paused or still priming is held out of the step
/// (<see cref="IStepEngine.SetHeld"/>), untouched. A prompt is primed in chunks of
/// <see cref="PrimeChunk"/> classes between the steps (<see cref="IStepEngine.ContinuePrime"/>), one
/// chunk per step while others generate, so a long prompt never stalls the running streams.
/// </summary>
public sealed class ModelBatch : IDisposable
{
    private readonly IStepEngine engine;
    private readonly ConcurrentQueue<BatchStream> joining = new();
    private readonly List<BatchStream> streams = [];
    private readonly AutoResetEvent wake = new(false);
    private readonly Thread thread;
    private readonly byte[] output;
    private volatile bool stopping;
    private int reserved;
    private int primeTurn;
    private long generatedTotal;

    /// <param name="engine">Owned: disposed with the batch.</param>
    /// <param name="onStep">Called on the batch thread after each step: its wall seconds, streams stepped, samples made.</param>
    /// <param name="chunk">Classes a step generates per stream: the batch's granularity (8 ms at 16 kHz for 128).</param>
    public ModelBatch(string name, IStepEngine engine, int sampleRate, int chunk = 128, int primeChunk = 1024, Action<double, int, int>? onStep = null)
    {
        if (chunk < 1 || primeChunk < 1) throw new ArgumentOutOfRangeException(nameof(chunk), "chunks are at least one class.");
        Name = name;
        this.engine = engine;
        SampleRate = sampleRate;
        Chunk = chunk;
        PrimeChunk = primeChunk;
        OnStep = onStep;
        output = new byte[engine.Slots * chunk];
        thread = new Thread(Loop) { IsBackground = true, Name = $"mamba-audio batch {name}" };
        thread.Start();
    }

    public string Name { get; }
    public int SampleRate { get; }
    public MambaConfig Config => engine.Config;
    public int Slots => engine.Slots;
    public int Chunk { get; }

    /// <summary>What this machine was measured to keep in real time for this model before serving, if it was.</summary>
    public BatchCapacity? Capacity { get; init; }
    public int PrimeChunk { get; }
    private Action<double, int, int>? OnStep { get; }

    /// <summary>Streams joined and not yet left (slots reserved).</summary>
    public int StreamCount => Volatile.Read(ref reserved);
    public long GeneratedTotal => Interlocked.Read(ref generatedTotal);

    /// <summary>The engine failed; the batch stopped and every stream was failed with this reason.</summary>
    public string? Failure { get; private set; }

    /// <summary>Adds a stream; it starts at the next step. Null when every slot is taken.</summary>
    public BatchStream? TryJoin(StreamRequest request)
    {
        if (Failure is { } failure) throw new InvalidOperationException($"model {Name} stopped: {failure}");
        if (request.RingSamples < Chunk) throw new ArgumentException($"a stream's ring ({request.RingSamples}) must hold a chunk ({Chunk}).", nameof(request));
        if (Interlocked.Increment(ref reserved) > Slots)
        {
            Interlocked.Decrement(ref reserved);
            return null;
        }
        var stream = new BatchStream(this, request);
        joining.Enqueue(stream);
        Wake();
        return stream;
    }

    internal void Wake() => wake.Set();

    private void Loop()
    {
        try
        {
            while (!stopping)
            {
                Admit();
                ApplyRequests();
                bool primed = PrimeOne();
                int going = Hold();
                if (going == 0)
                {
                    if (!primed) wake.WaitOne(20);
                    continue;
                }
                var clock = Stopwatch.GetTimestamp();
                engine.Generate(Chunk, output);
                double seconds = Stopwatch.GetElapsedTime(clock).TotalSeconds;
                int made = 0;
                foreach (var s in streams)
                {
                    if (s.Held) continue;
                    int n = (int)Math.Min(Chunk, s.Request.TotalSamples - s.Generated);
                    s.Wrote(output.AsSpan(s.Slot * Chunk, n));
                    made += n;
                }
                Interlocked.Add(ref generatedTotal, made);
                OnStep?.Invoke(seconds, going, made);
            }
        }
        catch (Exception e)
        {
            // An engine that throws cannot be trusted with the others' state: every stream ends, with the reason.
            Failure = $"{e.GetType().Name}: {e.Message}";
            foreach (var s in streams) s.Fail(Failure);
            while (joining.TryDequeue(out var s)) s.Fail(Failure);
        }
    }

    private void Admit()
    {
        while (joining.TryDequeue(out var s))
        {
            if (s.Left) { Interlocked.Decrement(ref reserved); continue; }
            s.Slot = engine.Open(s.Request.Sampling);
            if (s.Request.Prompt is { Length: > 0 } prompt)
            {
                engine.Prime(s.Slot, prompt.AsSpan(0, 1));
                s.Primed(1);
            }
            streams.Add(s);
        }
    }

    /// <summary>The sessions' requests since the last step: new sampling settings, and leaving (the slot is closed).</summary>
    private void ApplyRequests()
    {
        for (int i = streams.Count - 1; i >= 0; i--)
        {
            var s = streams[i];
            if (s.TakeSampling() is { } settings) engine.SetSampling(s.Slot, settings, reseed: false);
            if (!s.Left) continue;   // a finished stream keeps its slot until its session leaves: the ring stays readable
            engine.Close(s.Slot);
            streams.RemoveAt(i);
            Interlocked.Decrement(ref reserved);
        }
    }

    /// <summary>One chunk of one priming stream's prompt, taking turns. True when it primed something.</summary>
    private bool PrimeOne()
    {
        for (int k = 0; k < streams.Count; k++)
        {
            var s = streams[(primeTurn + k) % streams.Count];
            var prompt = s.Request.Prompt;
            if (prompt is null || s.PromptLeft == 0 || s.Left) continue;
            int primed = (int)(prompt.Length - s.PromptLeft);
            int n = Math.Min(PrimeChunk, prompt.Length - primed);
            engine.ContinuePrime(s.Slot, prompt.AsSpan(primed, n));
            s.Primed(n);
            primeTurn = (primeTurn + k + 1) % Math.Max(1, streams.Count);
            return true;
        }
        return false;
    }

    /// <summary>Holds every stream that cannot take a chunk now; returns how many step.</summary>
    private int Hold()
    {
        int going = 0;
        foreach (var s in streams)
        {
            bool go = !s.Left && !s.Finished && !s.Paused && s.PromptLeft == 0 && s.Ring.Free >= Chunk;
            if (s.Held == go) engine.SetHeld(s.Slot, !go);
            s.Held = !go;
            if (go) going++;
        }
        return going;
    }

    public void Dispose()
    {
        stopping = true;
        wake.Set();
        thread.Join();
        engine.Dispose();
        wake.Dispose();
    }
}
