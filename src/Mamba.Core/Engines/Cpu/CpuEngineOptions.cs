namespace Mamba.Core.Engines.Cpu;

/// <summary>Choices of the CPU engine that do not change its results.</summary>
/// <param name="Threads">Most threads one Generate uses (the caller's included); 0 = one per logical processor.
/// Streams are split into one contiguous chunk per thread; a single stream runs on the calling thread.</param>
/// <param name="Simd">false runs the scalar twins of the kernels (same bits, slower; for tests and odd hardware).</param>
public sealed record CpuEngineOptions(int Threads = 0, bool Simd = true)
{
    public static CpuEngineOptions Default { get; } = new();

    public int ResolvedThreads => Threads > 0 ? Threads : Environment.ProcessorCount;
}
