using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Mamba.Core.Cuda;

/// <summary>
/// Loads a kernel that runs in thread-block clusters (<see cref="CudaCluster"/>). ILGPU 1.5.3 cannot ask for a cluster,
/// so its PTX gets the directives a CUDA C++ <c>__cluster_dims__</c> kernel has (<c>.explicitcluster</c>,
/// <c>.reqnctapercluster</c>); the driver then launches every <see cref="Size"/> consecutive groups as one cluster
/// through ILGPU's ordinary launcher. Compiled and loaded here, the kernel is not in ILGPU's cache: the caller owns it.
/// </summary>
public static partial class CudaClusterKernel
{
    /// <summary>Groups a cluster may hold on compute capability 9.0 without the non-portable opt-in.</summary>
    public const int PortableSize = 8;

    /// <summary>The most a cluster may hold with the opt-in (the H100 and H200).</summary>
    public const int MaxSize = 16;

    private const int RequiredClusterWidth = 11, NonPortableClusterSizeAllowed = 14;

    [LibraryImport("libcuda.so.1")]
    private static partial int cuFuncSetAttribute(IntPtr function, int attribute, int value);

    [LibraryImport("libcuda.so.1")]
    private static partial int cuFuncGetAttribute(out int value, int attribute, IntPtr function);

    /// <summary>Why <paramref name="accelerator"/> cannot run clusters of <paramref name="size"/> groups; null where it can.</summary>
    public static string? Unsupported(Accelerator accelerator, int size)
    {
        if (accelerator is not CudaAccelerator cuda) return $"{accelerator.Name} is not a CUDA device";
        if (cuda.Architecture.Major < 9) return $"{accelerator.Name} (compute capability {cuda.Architecture}) has no thread-block clusters: they need 9.0";
        if (size < 1 || size > MaxSize) return $"a cluster holds 1 to {MaxSize} groups, not {size}";
        return null;
    }

    /// <summary>
    /// <paramref name="method"/> compiled for groups of <paramref name="groupSize"/> threads (PTX .maxntid) and launched
    /// in clusters of <paramref name="size"/> groups. Throws with the driver's reason where the device refuses it.
    /// </summary>
    public static Kernel Load(Accelerator accelerator, MethodInfo method, int groupSize, int size)
    {
        if (Unsupported(accelerator, size) is { } why) throw new NotSupportedException($"clusters of {size} groups: {why}.");
        var compiled = accelerator.CompileKernel(EntryPointDescription.FromExplicitlyGroupedKernel(method), new KernelSpecialization(groupSize, null));
        if (compiled is not PTXCompiledKernel ptx) throw new NotSupportedException($"clusters need a PTX kernel; {accelerator.Name} compiled a {compiled.GetType().Name}.");
        var entryPoint = typeof(CompiledKernel).GetProperty("EntryPoint", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(compiled);
        var constructor = typeof(PTXCompiledKernel).GetConstructors(BindingFlags.Instance | BindingFlags.NonPublic).SingleOrDefault(c => c.GetParameters().Length == 4);
        if (entryPoint is null || constructor is null)
            throw new NotSupportedException("clusters: this ILGPU has no PTXCompiledKernel(context, entry point, info, PTX) to load edited PTX through (written against ILGPU 1.5.3).");
        string text = Clustered(ptx.PTXAssembly, size);
        var clustered = (CompiledKernel)constructor.Invoke([compiled.Context, entryPoint, compiled.Info, text]);
        Kernel kernel;
        // ILGPU writes the driver's JIT log to Trace; it is caught here to say why a load failed.
        var log = new StringWriter();
        var listener = new TextWriterTraceListener(log);
        Trace.Listeners.Add(listener);
        try { kernel = accelerator.LoadKernel(clustered); }
        catch (CudaException e)
        {
            string kept = Path.Combine(Path.GetTempPath(), $"mamba-cluster-{method.Name}-{size}.ptx");
            File.WriteAllText(kept, text);
            throw new NotSupportedException($"clusters of {size} groups: the driver did not load the clustered kernel ({e.Message}; its PTX is kept at {kept}). JIT log: {log.ToString().Trim()}", e);
        }
        finally
        {
            Trace.Listeners.Remove(listener);
            listener.Dispose();
        }
        var function = ((CudaKernel)kernel).FunctionPtr;
        if (size > PortableSize && cuFuncSetAttribute(function, NonPortableClusterSizeAllowed, 1) is var set and not 0)
        {
            kernel.Dispose();
            throw new NotSupportedException($"clusters of {size} groups: the driver refused the non-portable cluster size (CUresult {set}); use {PortableSize} or fewer.");
        }
        if (cuFuncGetAttribute(out int width, RequiredClusterWidth, function) != 0 || width != size)
        {
            kernel.Dispose();
            throw new NotSupportedException($"clusters of {size} groups: the loaded kernel requires a cluster width of {width}, so the directive did not take.");
        }
        return kernel;
    }

    /// <summary>
    /// <paramref name="ptx"/> with the entry's cluster directives after its .maxntid line and the exchange's barriers
    /// declared, for sm_90 at least. Thread-block
    /// clusters came with PTX ISA 7.8; an older .version is refused rather than raised, since ILGPU chose it for the driver.
    /// </summary>
    public static string Clustered(string ptx, int size)
    {
        var version = Regex.Match(ptx, @"^\s*\.version\s+(\d+)\.(\d+)", RegexOptions.Multiline);
        if (!version.Success) throw new NotSupportedException("clusters: the PTX has no .version line.");
        int major = int.Parse(version.Groups[1].Value), minor = int.Parse(version.Groups[2].Value);
        if (major < 7 || (major == 7 && minor < 8))
            throw new NotSupportedException($"clusters need PTX ISA 7.8 or later; ILGPU chose {major}.{minor} for this driver.");
        // ILGPU 1.5.3 targets sm_80 at most (the driver compiles that for the H200 as it is); cluster instructions need
        // sm_90, which the device was checked to be (Unsupported).
        var target = Regex.Match(ptx, @"^\s*\.target\s+sm_(\d+)[a-z]?\s*$", RegexOptions.Multiline);
        if (!target.Success) throw new NotSupportedException("clusters: the PTX has no .target sm_NN line.");
        if (int.Parse(target.Groups[1].Value) < 90)
            ptx = ptx[..target.Groups[1].Index] + "90" + ptx[(target.Groups[1].Index + target.Groups[1].Length)..];
        var maxntid = Regex.Matches(ptx, @"^\s*\.maxntid[^\n]*\n", RegexOptions.Multiline);
        if (maxntid.Count != 1) throw new NotSupportedException($"clusters: expected one kernel entry with a .maxntid line, found {maxntid.Count}.");
        int at = maxntid[0].Index + maxntid[0].Length;
        ptx = ptx[..at] + $".explicitcluster\n.reqnctapercluster {size}, 1, 1\n" + ptx[at..];
        // The exchange's transaction barriers (CudaCluster), at module scope after the header.
        var header = Regex.Match(ptx, @"^\s*\.address_size[^\n]*\n", RegexOptions.Multiline);
        if (!header.Success) throw new NotSupportedException("clusters: the PTX has no .address_size line.");
        at = header.Index + header.Length;
        return ptx[..at] + $"\n.shared .align 8 .b64 mamba_exchange_bars[{CudaCluster.Barriers}];\n" + ptx[at..];
    }
}
