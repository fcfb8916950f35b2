using System.Diagnostics;
using Mamba.Audio.Chains;

namespace Mamba.Audio.Streaming;

/// <summary>How a live stream is buffered.</summary>
/// <param name="BlockSamples">Samples per block, through the chain and to the device.</param>
/// <param name="BufferSamples">The ring between the generator and the device: how far ahead the generator may run.</param>
/// <param name="PrebufferSamples">Samples generated before the device starts (at least one block; more absorbs a slow start).</param>
public sealed record StreamSettings(int BlockSamples, int BufferSamples, int PrebufferSamples)
{
    public StreamSettings Validate()
    {
        if (BlockSamples is < 16 or > 65536) throw new ArgumentException($"block {BlockSamples}: must be in 16..65536 samples.");
        if (BufferSamples < BlockSamples) throw new ArgumentException($"buffer {BufferSamples} samples: must hold at least one block ({BlockSamples}).");
        if (PrebufferSamples < BlockSamples || PrebufferSamples > BufferSamples)
            throw new ArgumentException($"pre-buffer {PrebufferSamples} samples: must be in {BlockSamples}..{BufferSamples} (one block to the whole buffer).");
        return this;
    }
}

/// <summary>
/// Plays a chain live. A generator thread runs the chain block by block into a <see cref="SampleRing"/>
/// as far ahead as the buffer allows; a device thread takes one block at a time from the ring and hands
/// it to the <see cref="AudioOutput"/>, whose blocking write paces everything. The device thread never
/// allocates, locks or waits on the generator: when the ring holds less than a block it plays what there
/// is, pads with silence and counts an underrun (<see cref="UnderrunBlocks"/>, <see cref="UnderrunSamples"/>).
/// The chain is prepared and pre-buffered before the device starts, so a model never loads on the audio path.
/// </summary>
public sealed class StreamingHost : IDisposable
{
    private readonly Chain chain;
    private readonly AudioOutput? output;
    private readonly StreamSettings settings;
    private readonly SampleRing ring;
    private readonly CancellationTokenSource stop = new();
    private Thread? generatorThread, deviceThread;
    private Exception? failure;
    private long generated, played, underrunBlocks, underrunSamples, longestBlockTicks, busyTicks, firstBlockSamples;
    private BlockAllocationMeter deviceAllocations;
    private volatile bool deviceAllocationsMeasured;
    private volatile bool generatorEnded, finished;

    /// <param name="output">The device; null when the generator is itself paced by a device (capture | wav): then the chain runs
    /// straight on one thread, block after block as the capture delivers them, with no ring and no underruns to count.</param>
    public StreamingHost(Chain chain, AudioOutput? output, StreamSettings settings)
    {
        this.chain = chain;
        this.output = output;
        this.settings = settings.Validate();
        ring = new SampleRing(settings.BufferSamples);
        SampleRate = chain.Format?.SampleRate ?? throw new InvalidOperationException("Prepare the chain before streaming it.");
    }

    public int SampleRate { get; }
    public long GeneratedSamples => Interlocked.Read(ref generated);
    public long PlayedSamples => Interlocked.Read(ref played);
    public long UnderrunBlocks => Interlocked.Read(ref underrunBlocks);
    public long UnderrunSamples => Interlocked.Read(ref underrunSamples);
    public int BufferedSamples => ring.Count;
    public int BufferCapacity => ring.Capacity;

    /// <summary>The longest time one block took in the chain after the first (a generator stall shows here).</summary>
    public TimeSpan LongestBlock => TimeSpan.FromTicks(Interlocked.Read(ref longestBlockTicks) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);

    /// <summary>What the device thread allocated block by block after its first 16 (<see cref="BlockAllocationMeter"/>); null until it ends, or when it played too few blocks.</summary>
    public BlockAllocationMeter? DeviceThreadAllocations => deviceAllocationsMeasured ? deviceAllocations : null;

    /// <summary>
    /// Audio seconds the chain makes per second of its own work, over every block but the first (which
    /// carries the JIT's compilation): above 1 it keeps up on this machine. NaN before a second block.
    /// </summary>
    public double RealTimeFactor
    {
        get
        {
            long ticks = Interlocked.Read(ref busyTicks), samples = GeneratedSamples - Interlocked.Read(ref firstBlockSamples);
            return ticks == 0 || samples <= 0 ? double.NaN : samples / (double)SampleRate / (ticks / (double)Stopwatch.Frequency);
        }
    }

    /// <summary>Whether the stream has ended (duration reached, stopped, the generator ended, or a failure).</summary>
    public bool Finished => finished;

    /// <summary>Latency from a block leaving the chain to its sound, in samples: the ring when full, the device's buffer (what it reports, or the target before it has played), and the effects' own.</summary>
    public long LatencySamples => LatencyFor(output?.LatencySamples ?? 0);

    /// <summary><see cref="LatencySamples"/> with the device's part taken from a figure it reported earlier (the largest seen while playing, say).</summary>
    public long LatencyFor(long deviceReportedSamples) => output is null ? chain.LatencySamples
        : settings.BufferSamples + Math.Max(deviceReportedSamples, output.TargetLatencySamples) + chain.LatencySamples;

    /// <summary>Fills the pre-buffer (measuring the chain's speed), then starts the device thread. Returns when audio starts.</summary>
    /// <param name="totalSamples">Samples to play; long.MaxValue until <see cref="Stop"/>.</param>
    public void Start(long totalSamples)
    {
        var block = new float[settings.BlockSamples];
        if (output is null)
        {
            generatorThread = new Thread(() => DirectLoop(block, totalSamples)) { Name = "mamba-audio capture", IsBackground = true, Priority = ThreadPriority.Highest };
            generatorThread.Start();
            return;
        }
        while (ring.Count + block.Length <= settings.PrebufferSamples && !chain.Generator.Ended)
            RunBlock(block);
        generatorThread = new Thread(() => GeneratorLoop(block)) { Name = "mamba-audio generator", IsBackground = true };
        deviceThread = new Thread(() => DeviceLoop(totalSamples)) { Name = "mamba-audio device", IsBackground = true, Priority = ThreadPriority.Highest };
        generatorThread.Start();
        deviceThread.Start();
    }

    private void RunBlock(float[] block)
    {
        long start = Stopwatch.GetTimestamp();
        chain.ProcessBlock(block);
        long ticks = Stopwatch.GetTimestamp() - start;
        if (generated == 0) Interlocked.Exchange(ref firstBlockSamples, block.Length);   // the JIT's block: not part of the speed
        else
        {
            Interlocked.Add(ref busyTicks, ticks);
            if (ticks > longestBlockTicks) Interlocked.Exchange(ref longestBlockTicks, ticks);
        }
        ring.Write(block);
        Interlocked.Add(ref generated, block.Length);
        if (chain.Generator.Ended) generatorEnded = true;
    }

    private void GeneratorLoop(float[] block)
    {
        try
        {
            while (!stop.IsCancellationRequested && !generatorEnded)
            {
                if (ring.Free >= block.Length) RunBlock(block);
                else Thread.Sleep(1);   // the generator waits for room; the device thread never waits for it
            }
        }
        catch (Exception e)
        {
            failure = e;
            stop.Cancel();
        }
    }

    private void DirectLoop(float[] block, long totalSamples)
    {
        try
        {
            while (!stop.IsCancellationRequested && generated < totalSamples && !chain.Generator.Ended)
            {
                int n = (int)Math.Min(block.Length, totalSamples - generated);
                long start = Stopwatch.GetTimestamp();
                chain.ProcessBlock(block.AsSpan(0, n));
                long ticks = Stopwatch.GetTimestamp() - start;
                if (ticks > longestBlockTicks) Interlocked.Exchange(ref longestBlockTicks, ticks);
                Interlocked.Add(ref generated, n);
                Interlocked.Add(ref played, n);
            }
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            finished = true;
            stop.Cancel();
        }
    }

    private void DeviceLoop(long totalSamples)
    {
        var block = new float[settings.BlockSamples];
        var meter = new BlockAllocationMeter();
        int blocks = 0;
        try
        {
            while (!stop.IsCancellationRequested && played < totalSamples)
            {
                bool measured = ++blocks > 16;   // the first blocks run each method for the first time
                if (measured) meter.BeginBlock();
                int n = (int)Math.Min(block.Length, totalSamples - played);
                int got = ring.Read(block.AsSpan(0, n));
                if (got < n)
                {
                    if (generatorEnded && ring.Count == 0 && got == 0) break;   // the source ended: not an underrun
                    if (!generatorEnded)
                    {
                        Interlocked.Increment(ref underrunBlocks);
                        Interlocked.Add(ref underrunSamples, n - got);
                    }
                    block.AsSpan(got, n - got).Clear();
                }
                output!.Write(block.AsSpan(0, n));
                Interlocked.Add(ref played, n);
                if (measured) meter.EndBlock();
            }
            if (meter.Blocks > 0)
            {
                deviceAllocations = meter;
                deviceAllocationsMeasured = true;   // volatile: the totals before the flag
            }
            if (!stop.IsCancellationRequested) output!.Drain();
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            finished = true;
            stop.Cancel();
        }
    }

    /// <summary>Asks both threads to stop (any thread; returns at once).</summary>
    public void Stop() => stop.Cancel();

    /// <summary>Waits for the end and finishes the chain's sinks; rethrows a failure of either thread.</summary>
    public void Wait()
    {
        deviceThread?.Join();
        stop.Cancel();
        // A generator stuck inside a block (it cannot be interrupted) must not hang the host's exit.
        if (generatorThread is not null && !generatorThread.Join(TimeSpan.FromSeconds(10)))
            throw new AudioDeviceException("the generator did not finish its block within 10 s of the stop; its sinks were not closed.");
        chain.Finish();
        if (failure is not null) throw new AudioDeviceException($"the stream stopped: {failure.Message}", failure);
    }

    public void Dispose()
    {
        stop.Cancel();
        deviceThread?.Join();
        generatorThread?.Join(TimeSpan.FromSeconds(10));
    }
}
