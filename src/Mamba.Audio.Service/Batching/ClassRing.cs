namespace Mamba.Audio.Service.Batching;

/// <summary>
/// A fixed ring of mu-law classes between the batch thread (the one writer) and a stream's session
/// (the one reader). Lock-free: each side owns its counter and reads the other's with a volatile
/// read. Its capacity bounds what a stream can hold ahead of its listener: the batch generates for a
/// stream only while a whole chunk fits.
/// </summary>
public sealed class ClassRing(int capacity)
{
    private readonly byte[] buffer = new byte[capacity];
    private long written, read;

    public int Capacity => buffer.Length;
    public int Count => (int)(Volatile.Read(ref written) - Volatile.Read(ref read));
    public int Free => Capacity - Count;

    /// <summary>Writer: appends all of <paramref name="classes"/>; the caller checked <see cref="Free"/>.</summary>
    public void Write(ReadOnlySpan<byte> classes)
    {
        if (classes.Length > Free) throw new InvalidOperationException($"the ring has room for {Free} classes, not {classes.Length}.");
        long w = written;
        int at = (int)(w % buffer.Length);
        int first = Math.Min(classes.Length, buffer.Length - at);
        classes[..first].CopyTo(buffer.AsSpan(at));
        classes[first..].CopyTo(buffer);
        Volatile.Write(ref written, w + classes.Length);
    }

    /// <summary>Reader: takes up to destination.Length classes; returns how many.</summary>
    public int Read(Span<byte> destination)
    {
        long r = read;
        int n = (int)Math.Min(destination.Length, Volatile.Read(ref written) - r);
        int at = (int)(r % buffer.Length);
        int first = Math.Min(n, buffer.Length - at);
        buffer.AsSpan(at, first).CopyTo(destination);
        buffer.AsSpan(0, n - first).CopyTo(destination[first..]);
        Volatile.Write(ref read, r + n);
        return n;
    }
}
