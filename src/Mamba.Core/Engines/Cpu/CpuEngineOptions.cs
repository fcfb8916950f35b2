namespace Mamba.Core.Engines.Cpu;

/// <summary>Choices of the CPU engine that do not change its results.</summary>
/// <param name="Threads">Most threads one Generate uses (the caller's included); 0 = one per logical processor.
/// Streams are split into one contiguous chunk per thread; a single stream runs on the calling thread.</param>
/// <param name="VectorWidth">The widest vectors the kernels use (same bits at every width); Auto = what the hardware accelerates.</param>
public sealed record CpuEngineOptions(int Threads = 0, CpuVectorWidth VectorWidth = CpuVectorWidth.Auto)
{
    public static CpuEngineOptions Default { get; } = new();

    public int ResolvedThreads => Threads > 0 ? Threads : Environment.ProcessorCount;
}
