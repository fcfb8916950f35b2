using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Scan;

/// <summary>Which selective scan to use, by name or by device.</summary>
public static class SelectiveScans
{
    public static readonly IReadOnlyList<string> Names = new[] { "auto", "reference", "cpu-fused", "ilgpu" };

    /// <summary>The fastest correct scan for tensors on <paramref name="device"/>.</summary>
    public static ISelectiveScan For(Device device) =>
        device.type switch
        {
            DeviceType.CPU => CpuSelectiveScan.Instance,
            DeviceType.CUDA => IlgpuSelectiveScan.Instance,
            _ => ReferenceSelectiveScan.Instance,
        };

    /// <summary>Resolves a user's choice; "auto" defers to <see cref="For"/>.</summary>
    public static ISelectiveScan Resolve(string name, Device device) => name switch
    {
        "auto" => For(device),
        "reference" => ReferenceSelectiveScan.Instance,
        "cpu-fused" when device.type == DeviceType.CPU => CpuSelectiveScan.Instance,
        "cpu-fused" => throw new ArgumentException($"scan 'cpu-fused' runs on the CPU only, the device is {device}."),
        "ilgpu" => IlgpuSelectiveScan.Instance,   // on CPU tensors: ILGPU's CPU accelerator (slow; for checks)
        _ => throw new ArgumentException($"scan '{name}': expected one of {string.Join(", ", Names)}."),
    };
}
