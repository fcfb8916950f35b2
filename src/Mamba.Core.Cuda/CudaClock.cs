using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Mamba.Core.Cuda;

/// <summary>A clock for profiling stamps in device code.</summary>
public static class CudaClock
{
    /// <summary>
    /// The multiprocessor's cycle counter (clock64). On ILGPU's CPU accelerator (tests) there is none: a tick of a
    /// launch-wide counter (<paramref name="words"/>[<paramref name="counter"/>]) stands for it, so stamps still come in
    /// the order they were made.
    /// </summary>
    public static ulong Now(ArrayView<ulong> words, long counter)
    {
        if (CudaAsm.IsSupported)
        {
            Output<ulong> cycles = default;
            CudaAsm.EmitRef("mov.u64 %0, %%clock64;", ref cycles);
            return cycles.Value;
        }
        return Atomic.Add(ref words[counter], 1UL) + 1;
    }
}
