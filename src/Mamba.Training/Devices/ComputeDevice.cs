using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Devices;

/// <summary>
/// Picks the torch device from a user's choice ("auto", "cpu", "cuda", "cuda:1") and describes
/// it in one line for the start-up message, so a run never leaves doubt about where it runs.
/// </summary>
public static class ComputeDevice
{
    /// <summary>Resolves a device choice; "auto" takes CUDA when libtorch can use it, else the CPU.</summary>
    /// <exception cref="ArgumentException">The choice is not auto/cpu/cuda[:index], or CUDA was asked for and is not usable.</exception>
    public static Device Resolve(string choice)
    {
        string c = choice.Trim().ToLowerInvariant();
        if (c == "cpu") return CPU;
        if (c == "auto") return CudaUsable() ? CUDA : CPU;
        if (c == "cuda" || c.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!CudaUsable())
                throw new ArgumentException(
                    $"device '{choice}': CUDA is not available to libtorch here. This build uses TorchSharp's " +
                    "CPU back-end unless built with -p:TorchBackend=cuda-linux or external (docs/GPU.md); " +
                    "check that the NVIDIA driver is loaded and, for 'external', that LD_LIBRARY_PATH holds a CUDA libtorch.");
            int index = c.Length > 5 && int.TryParse(c[5..], out var i) ? i : 0;
            if (index >= cuda.device_count())
                throw new ArgumentException($"device '{choice}': only {cuda.device_count()} CUDA device(s) present.");
            return new Device(DeviceType.CUDA, index);
        }
        throw new ArgumentException($"device '{choice}': expected auto, cpu, cuda or cuda:<index>.");
    }

    /// <summary>One line naming the device: "CPU (2 threads, libtorch CPU)" or "CUDA:0 NVIDIA H200".</summary>
    public static string Describe(Device device)
    {
        if (device.type == DeviceType.CPU)
            return $"CPU ({get_num_threads()} threads, {Environment.ProcessorCount} logical cores)";
        return $"CUDA:{device.index} {CudaDeviceName(Math.Max(0, device.index)) ?? "(name unavailable)"}";
    }

    private static bool CudaUsable()
    {
        try
        {
            InitializeDeviceType(DeviceType.CUDA);
            return cuda.is_available();
        }
        catch (Exception)
        {
            return false; // the CPU back-end has no CUDA libraries to load: not an error for "auto"
        }
    }

    // libtorch exposes no device name through TorchSharp; the driver API gives it in three calls.
    [DllImport("libcuda.so.1")] private static extern int cuInit(uint flags);
    [DllImport("libcuda.so.1")] private static extern int cuDeviceGet(out int device, int ordinal);
    [DllImport("libcuda.so.1")] private static extern int cuDeviceGetName(byte[] name, int length, int device);

    private static string? CudaDeviceName(int ordinal)
    {
        try
        {
            if (!OperatingSystem.IsLinux() || cuInit(0) != 0 || cuDeviceGet(out int dev, ordinal) != 0) return null;
            var buffer = new byte[256];
            return cuDeviceGetName(buffer, buffer.Length, dev) == 0
                ? System.Text.Encoding.ASCII.GetString(buffer, 0, Array.IndexOf(buffer, (byte)0))
                : null;
        }
        catch (DllNotFoundException) { return null; }
        catch (EntryPointNotFoundException) { return null; }
    }
}
