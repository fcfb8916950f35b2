using Mamba.Training.Devices;
using static TorchSharp.torch;

namespace Mamba.Training.Tests.Support;

/// <summary>Skips a test where libtorch has no CUDA device; such tests run on the GPU host (docs/GPU.md).</summary>
public static class Cuda
{
    public static Device RequireDevice()
    {
        Device? device = null;
        try { device = ComputeDevice.Resolve("cuda"); }
        catch (ArgumentException) { }
        Assert.SkipWhen(device is null, "needs a CUDA device (run on the GPU host, docs/GPU.md)");
        return device!;
    }
}
