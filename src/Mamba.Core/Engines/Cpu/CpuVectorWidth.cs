using System.Runtime.Intrinsics;

namespace Mamba.Core.Engines.Cpu;

/// <summary>
/// The widest vectors the CPU engine's kernels use. Every width gives the same bits (the kernels
/// never mix lanes in a width-dependent order, see <see cref="CpuKernels"/>); narrower ones are for
/// measurement, tests and odd hardware.
/// </summary>
public enum CpuVectorWidth
{
    /// <summary>The widest the hardware accelerates: Vector512, else Vector256, else scalar.</summary>
    Auto = 0,
    /// <summary>The scalar twins of every kernel.</summary>
    Scalar = 1,
    /// <summary>Vector256 (what a machine without AVX-512 runs).</summary>
    Vector256 = 256,
    /// <summary>Vector512 where a kernel has a 512-bit body, else Vector256.</summary>
    Vector512 = 512,
}

public static class CpuVectorWidths
{
    /// <summary>What <paramref name="width"/> becomes on this machine: never wider than the hardware accelerates.</summary>
    public static CpuVectorWidth Resolve(this CpuVectorWidth width)
    {
        var widest = Vector512.IsHardwareAccelerated ? CpuVectorWidth.Vector512
                   : Vector256.IsHardwareAccelerated ? CpuVectorWidth.Vector256
                   : CpuVectorWidth.Scalar;
        if (width == CpuVectorWidth.Auto) return widest;
        return (int)width <= (int)widest ? width : widest;
    }

    /// <summary>The name used in reports and on the command line: scalar, 256, 512.</summary>
    public static string Name(this CpuVectorWidth width) => width switch
    {
        CpuVectorWidth.Scalar => "scalar",
        CpuVectorWidth.Vector256 => "256",
        CpuVectorWidth.Vector512 => "512",
        _ => "auto",
    };

    /// <summary>Parses auto, scalar, 256 or 512; false for anything else.</summary>
    public static bool TryParse(string text, out CpuVectorWidth width)
    {
        width = text switch
        {
            "auto" => CpuVectorWidth.Auto,
            "scalar" => CpuVectorWidth.Scalar,
            "256" => CpuVectorWidth.Vector256,
            "512" => CpuVectorWidth.Vector512,
            _ => (CpuVectorWidth)(-1),
        };
        return (int)width >= 0;
    }
}
