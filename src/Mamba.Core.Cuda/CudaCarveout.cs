using System.Runtime.InteropServices;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Mamba.Core.Cuda;

/// <summary>
/// Asks the driver to split a multiprocessor's 256 KiB of L1 and shared memory so that a kernel gets the shared memory
/// it needs and the rest is L1 (cuFuncSetAttribute, CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT; ILGPU does not
/// expose it). Left to itself the driver gave the spread kernel 135 KiB of shared memory for the 25 KiB it uses, leaving
/// base's weight slices too little L1 (Nsight Compute on the H200). A preference: where it cannot be set, nothing changes.
/// </summary>
internal static partial class CudaCarveout
{
    private const int PreferredSharedMemoryCarveout = 9;

    [LibraryImport("libcuda.so.1")]
    private static partial int cuFuncSetAttribute(IntPtr function, int attribute, int value);

    /// <summary>Prefers the smallest carveout that holds <paramref name="sharedBytes"/> a group (plus the driver's 1 KiB).</summary>
    public static void PreferL1(Kernel kernel, Accelerator accelerator, int sharedBytes)
    {
        if (kernel is not CudaKernel cuda || accelerator is not CudaAccelerator device) return;
        int perMultiprocessor = device.MaxSharedMemoryPerMultiprocessor;
        if (perMultiprocessor <= 0) return;
        int percent = Math.Clamp((int)Math.Ceiling((sharedBytes + 1024) * 100.0 / perMultiprocessor), 1, 100);
        try { cuFuncSetAttribute(cuda.FunctionPtr, PreferredSharedMemoryCarveout, percent); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }
}
