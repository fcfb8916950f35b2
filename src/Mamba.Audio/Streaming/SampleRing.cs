namespace Mamba.Audio.Streaming;

/// <summary>The ring of float samples between a chain's generator thread and the device thread.</summary>
public sealed class SampleRing(int minimumCapacity) : SpscRing<float>(minimumCapacity);

/// <summary>
/// A single-producer single-consumer ring, lock-free: one thread writes, another reads, and
/// neither ever waits for the other (a chain's generator and the device: <see cref="SampleRing"/>;
/// the service's batch and a session: mu-law classes). The capacity is a power of two;
/// the read and write counters only grow (64-bit: no wrap in practice), published with
/// release/acquire ordering so the reader never sees an item before it is written.
/// </summary>
public class SpscRing<T> where T : unmanaged
{
    private readonly T[] buffer;
    private readonly int mask;
    private long written;   // written by the producer only
    private long read;      // written by the consumer only

    public SpscRing(int minimumCapacity)
    {
        if (minimumCapacity is < 1 or > 1 << 28) throw new ArgumentOutOfRangeException(nameof(minimumCapacity), minimumCapacity, "must be in 1..2^28 samples.");
        int capacity = 1;
        while (capacity < minimumCapacity) capacity <<= 1;
        buffer = new T[capacity];
        mask = capacity - 1;
    }

    public int Capacity => buffer.Length;

    /// <summary>Samples ready to read (a snapshot: it can only grow until the consumer reads).</summary>
    public int Count => (int)(Volatile.Read(ref written) - Volatile.Read(ref read));

    /// <summary>Room to write (a snapshot: it can only grow until the producer writes).</summary>
    public int Free => Capacity - Count;

    /// <summary>Producer: writes as much of <paramref name="samples"/> as fits; returns the count written.</summary>
    public int Write(ReadOnlySpan<T> samples)
    {
        long w = written;                               // own counter: no barrier needed
        int n = Math.Min(samples.Length, Capacity - (int)(w - Volatile.Read(ref read)));
        int start = (int)(w & mask);
        int first = Math.Min(n, Capacity - start);
        samples[..first].CopyTo(buffer.AsSpan(start));
        samples[first..n].CopyTo(buffer);
        Volatile.Write(ref written, w + n);             // release: the samples before the count
        return n;
    }

    /// <summary>Consumer: reads up to <c>destination.Length</c> samples; returns the count read.</summary>
    public int Read(Span<T> destination)
    {
        long r = read;
        int n = Math.Min(destination.Length, (int)(Volatile.Read(ref written) - r));   // acquire
        int start = (int)(r & mask);
        int first = Math.Min(n, Capacity - start);
        buffer.AsSpan(start, first).CopyTo(destination);
        buffer.AsSpan(0, n - first).CopyTo(destination[first..]);
        Volatile.Write(ref read, r + n);
        return n;
    }
}
