using System.Runtime.InteropServices;

namespace Mamba.Training.Gpu;

/// <summary>The two CUDA driver calls that switching between libtorch's and ILGPU's contexts needs.</summary>
internal static class CudaDriver
{
    [DllImport("libcuda.so.1")] private static extern int cuCtxGetCurrent(out IntPtr context);
    [DllImport("libcuda.so.1")] private static extern int cuCtxSetCurrent(IntPtr context);

    public static IntPtr CurrentContext()
    {
        Check(cuCtxGetCurrent(out var context), "cuCtxGetCurrent");
        return context;
    }

    public static void SetCurrentContext(IntPtr context) => Check(cuCtxSetCurrent(context), "cuCtxSetCurrent");

    private static void Check(int status, string call)
    {
        if (status != 0) throw new InvalidOperationException($"CUDA driver call {call} failed with status {status}.");
    }
}
