using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Mamba.Core.Cuda;

/// <summary>
/// Where the step kernel runs: an NVIDIA GPU through ILGPU's CUDA back-end (only the driver's
/// libcuda is needed), or ILGPU's CPU accelerator, which runs the same kernel with emulated groups
/// (the tests on machines without a GPU). One context per process, made on first use.
/// </summary>
public static class CudaAccelerators
{
    private static readonly object Gate = new();
    private static Context? context;
    private static Accelerator? cuda, cpu;

    /// <summary>
    /// A small emulated device: 8-lane warps (the kernel's shuffles span 8 lanes), 4 warps a group, so the tests
    /// cross warps and groups quickly.
    /// </summary>
    private static readonly CPUDevice TestDevice = new(numThreadsPerWarp: 8, numWarpsPerMultiprocessor: 4, numMultiprocessors: 2);

    private static Context Context => context ??= Context.Create(b => b.Cuda().CPU(TestDevice).EnableAlgorithms()
        .Math(MathMode.Fast32BitOnly).Optimize(OptimizationLevel.O2));

    /// <summary>Whether an NVIDIA GPU is there for ILGPU.</summary>
    public static bool HasCuda
    {
        get
        {
            lock (Gate)
            {
                try { return Context.GetCudaDevices().Count > 0; }
                catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or InvalidOperationException) { return false; }
            }
        }
    }

    /// <summary>The first CUDA device; an <see cref="ArgumentException"/> saying what is missing when there is none.</summary>
    public static Accelerator Cuda()
    {
        lock (Gate)
        {
            if (cuda is not null) return cuda;
            var devices = Context.GetCudaDevices();
            if (devices.Count == 0)
                throw new ArgumentException("the CUDA engine needs an NVIDIA GPU and its driver (libcuda); ILGPU finds none on this machine: use the cpu engine.");
            return cuda = devices[0].CreateAccelerator(Context);
        }
    }

    /// <summary>ILGPU's CPU accelerator (tests).</summary>
    public static Accelerator Cpu()
    {
        lock (Gate) return cpu ??= Context.GetCPUDevice(0).CreateAccelerator(Context);
    }
}
