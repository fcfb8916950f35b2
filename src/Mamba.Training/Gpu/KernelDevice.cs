using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Gpu;

/// <summary>
/// An ILGPU accelerator that runs kernels on TorchSharp tensors in place: the CUDA accelerator of
/// a torch CUDA device, or ILGPU's CPU accelerator over CPU tensors (tests without a GPU; it runs
/// the same kernel code with emulated warps).
/// ILGPU makes its own CUDA context while libtorch uses the primary one, so every batch of launches
/// goes through <see cref="Launch"/>: finish torch's queued work, make ILGPU's context current,
/// launch, wait, and give the thread its context back (../shared/DESIGN.md, platform facts).
/// </summary>
public sealed class KernelDevice : IDisposable
{
    private static readonly object Gate = new();
    private static readonly Dictionary<int, KernelDevice> CudaDevices = new();
    private static KernelDevice? cpu;

    private readonly Context context;
    private readonly Dictionary<Delegate, object> kernels = new();

    /// <summary>
    /// ILGPU's CPU accelerator runs each lane of a group on its own thread and a warp shuffle is a
    /// barrier between them, so a small warp (4 lanes, 4 warps per group) keeps tests fast while
    /// still crossing warps, padding lanes and shuffles.
    /// </summary>
    private static readonly CPUDevice TestCpuDevice = new(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: 4, numMultiprocessors: 2);

    private KernelDevice(Context context, Accelerator accelerator)
    {
        this.context = context;
        Accelerator = accelerator;
    }

    public Accelerator Accelerator { get; }

    public bool IsCuda => Accelerator.AcceleratorType == AcceleratorType.Cuda;

    public int WarpSize => Accelerator.WarpSize;

    /// <summary>Threads per group for kernels that launch whole warps: 128, or fewer where the accelerator allows fewer.</summary>
    public int GroupSize => Math.Min(128, Accelerator.MaxNumThreadsPerGroup) / WarpSize * WarpSize;

    /// <summary>The accelerator for tensors on <paramref name="device"/> (made once per device, kept for the process).</summary>
    public static KernelDevice For(torch.Device device)
    {
        lock (Gate)
        {
            if (device.type == DeviceType.CPU)
                return cpu ??= Create(b => b.CPU(TestCpuDevice), c => c.CreateCPUAccelerator(0));
            if (device.type != DeviceType.CUDA)
                throw new ArgumentException($"No ILGPU accelerator for device {device}.");
            int index = Math.Max(0, (int)device.index);
            if (!CudaDevices.TryGetValue(index, out var found))
            {
                // Making the accelerator makes ILGPU's context current; torch's ops need theirs back.
                torch.cuda.synchronize();
                var saved = CudaDriver.CurrentContext();
                try { CudaDevices[index] = found = Create(b => b.Cuda(), c => c.CreateCudaAccelerator(index)); }
                finally { CudaDriver.SetCurrentContext(saved); }
            }
            return found;
        }
    }

    private static KernelDevice Create(Func<Context.Builder, Context.Builder> devices, Func<Context, Accelerator> accelerator)
    {
        // EnableAlgorithms: the PTX backend's exp comes from ILGPU.Algorithms (without it, the CUDA
        // compile fails: "ExpF does not have an intrinsic implementation"). Fast32BitOnly: exp uses
        // the hardware's fast float path; the kernels are float32.
        var context = Context.Create(b => devices(b).EnableAlgorithms().Math(MathMode.Fast32BitOnly).Optimize(OptimizationLevel.O2));
        try { return new KernelDevice(context, accelerator(context)); }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A kernel compiled once per accelerator; <paramref name="load"/> makes it the first time.
    /// Call it inside <see cref="Launch"/>: loading a CUDA module needs ILGPU's context current.
    /// </summary>
    internal TKernel Kernel<TKernel>(Delegate method, Func<Accelerator, TKernel> load) where TKernel : class
    {
        lock (kernels)
        {
            if (!kernels.TryGetValue(method, out var kernel)) kernels[method] = kernel = load(Accelerator);
            return (TKernel)kernel;
        }
    }

    /// <summary>Runs <paramref name="launches"/> (kernel launches on this accelerator) and waits for them.</summary>
    internal void Launch(Action launches)
    {
        if (!IsCuda)
        {
            launches();
            Accelerator.Synchronize();
            return;
        }
        torch.cuda.synchronize();
        var saved = CudaDriver.CurrentContext();
        CudaDriver.SetCurrentContext(((CudaAccelerator)Accelerator).NativePtr);
        try
        {
            launches();
            Accelerator.Synchronize();
        }
        finally
        {
            CudaDriver.SetCurrentContext(saved);
        }
    }

    public void Dispose()
    {
        Accelerator.Dispose();
        context.Dispose();
    }
}
