namespace Mamba.Audio.Streaming;

/// <summary>
/// Counts what one thread allocates block by block (the device thread: it must allocate nothing), without
/// allocating itself. A block during which a collection ran is not judged: the runtime's per-thread counter
/// can move then with no allocation (24 bytes per collection here; once, on a busy CI machine, 7,912 bytes
/// over a loop that allocates nothing: about what was left of the thread's 8 KiB allocation quantum), so such
/// blocks are counted apart. A thread that allocates per block still shows in nearly every block, since
/// collections are rare against blocks.
/// Owned by one thread; read the totals after it ends.
/// </summary>
public struct BlockAllocationMeter
{
    private long bytesAtStart;
    private int collectionsAtStart;

    /// <summary>Blocks judged (no collection ran during them).</summary>
    public long Blocks { get; private set; }

    /// <summary>Judged blocks during which the thread's allocation counter moved.</summary>
    public long AllocatingBlocks { get; private set; }

    /// <summary>Bytes allocated over the judged blocks.</summary>
    public long AllocatedBytes { get; private set; }

    /// <summary>Blocks not judged because a collection ran during them.</summary>
    public long BlocksWithACollection { get; private set; }

    public void BeginBlock()
    {
        // The collection count is read before the bytes and after them at the end, so a collection between
        // the two byte readings always shows as a changed count.
        collectionsAtStart = Collections();
        bytesAtStart = GC.GetAllocatedBytesForCurrentThread();
    }

    public void EndBlock()
    {
        long bytes = GC.GetAllocatedBytesForCurrentThread() - bytesAtStart;
        if (Collections() != collectionsAtStart) { BlocksWithACollection++; return; }
        Blocks++;
        if (bytes == 0) return;
        AllocatingBlocks++;
        AllocatedBytes += bytes;
    }

    // Gen 0's count includes every blocking collection; gen 2's adds the background ones.
    private static int Collections() => GC.CollectionCount(0) + GC.CollectionCount(2);
}
