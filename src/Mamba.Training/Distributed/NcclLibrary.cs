using System.Runtime.InteropServices;

namespace Mamba.Training.Distributed;

/// <summary>
/// The NCCL functions data-parallel training calls, bound at run time from the GPU host's own
/// libnccl.so.2 (PyTorch's wheels bring it as nvidia-nccl: site-packages/nvidia/nccl/lib), so
/// nothing NVIDIA ships is redistributed here. Looked up in this order: $MAMBA_NCCL_LIBRARY, the
/// loader's search path (LD_LIBRARY_PATH), then nvidia/nccl/lib beside every torch/lib folder on
/// LD_LIBRARY_PATH.
/// </summary>
internal sealed unsafe class NcclLibrary
{
    public const int UniqueIdBytes = 128;
    public const int Float32 = 7, Sum = 0;

    private static NcclLibrary? loaded;
    private static readonly object Gate = new();

    private NcclLibrary(nint handle, string path)
    {
        Path = path;
        nint Export(string name) => NativeLibrary.TryGetExport(handle, name, out var address) ? address
            : throw new DistributedException($"{path} has no {name}: not an NCCL 2 library.");
        GetVersion = (delegate* unmanaged<int*, int>)Export("ncclGetVersion");
        GetUniqueId = (delegate* unmanaged<UniqueId*, int>)Export("ncclGetUniqueId");
        CommInitRank = (delegate* unmanaged<nint*, int, UniqueId, int, int>)Export("ncclCommInitRank");
        AllReduce = (delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int>)Export("ncclAllReduce");
        Broadcast = (delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int>)Export("ncclBroadcast");
        CommDestroy = (delegate* unmanaged<nint, int>)Export("ncclCommDestroy");
        ErrorString = (delegate* unmanaged<int, nint>)Export("ncclGetErrorString");
        GetLastError = NativeLibrary.TryGetExport(handle, "ncclGetLastError", out var last) ? (delegate* unmanaged<nint, nint>)last : null;
    }

    public string Path { get; }
    public readonly delegate* unmanaged<int*, int> GetVersion;
    public readonly delegate* unmanaged<UniqueId*, int> GetUniqueId;
    public readonly delegate* unmanaged<nint*, int, UniqueId, int, int> CommInitRank;
    public readonly delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int> AllReduce;   // send, recv, count, type, op, comm, stream
    public readonly delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int> Broadcast;   // send, recv, count, type, root, comm, stream
    public readonly delegate* unmanaged<nint, int> CommDestroy;
    public readonly delegate* unmanaged<int, nint> ErrorString;
    public readonly delegate* unmanaged<nint, nint> GetLastError;

    /// <summary>ncclUniqueId: 128 opaque bytes, passed by value.</summary>
    [StructLayout(LayoutKind.Sequential, Size = UniqueIdBytes)]
    public struct UniqueId
    {
        private fixed byte bytes[UniqueIdBytes];
    }

    public static NcclLibrary Load()
    {
        lock (Gate)
        {
            if (loaded is not null) return loaded;
            // Before NCCL reads its environment: NVLink multicast stays off on these hosts unless set otherwise.
            Default("NCCL_NVLS_ENABLE", "0");
            var tried = new List<string>();
            foreach (var candidate in Candidates())
            {
                tried.Add(candidate);
                if (NativeLibrary.TryLoad(candidate, out var handle)) return loaded = new NcclLibrary(handle, candidate);
            }
            throw new DistributedException("NCCL (libnccl.so.2) was not found; tried " + string.Join(", ", tried) +
                ". Set MAMBA_NCCL_LIBRARY to its path (pip's nvidia-nccl-cu12, which PyTorch depends on, puts it in site-packages/nvidia/nccl/lib), or use --collective tcp.");
        }
    }

    private static IEnumerable<string> Candidates()
    {
        if (Environment.GetEnvironmentVariable("MAMBA_NCCL_LIBRARY") is { Length: > 0 } explicitPath) yield return explicitPath;
        yield return "libnccl.so.2";
        foreach (var dir in (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var full = System.IO.Path.GetFullPath(dir);
            if (System.IO.Path.GetFileName(full) == "lib" && System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(full)) == "torch")
                yield return System.IO.Path.Combine(full, "..", "..", "nvidia", "nccl", "lib", "libnccl.so.2");
        }
    }

    /// <summary>Throws with NCCL's own words when <paramref name="result"/> is not ncclSuccess.</summary>
    public void Check(int result, string what, nint comm = 0)
    {
        if (result == 0) return;
        string text = Marshal.PtrToStringUTF8(ErrorString(result)) ?? $"error {result}";
        string detail = GetLastError != null ? Marshal.PtrToStringUTF8(GetLastError(comm)) ?? "" : "";
        throw new DistributedException($"NCCL {what} failed: {text}{(detail.Length > 0 ? $" ({detail})" : "")}. NCCL_DEBUG=INFO shows more.");
    }

    public string Version()
    {
        int code;
        Check(GetVersion(&code), "ncclGetVersion");
        return code >= 10000 ? $"{code / 10000}.{code / 100 % 100}.{code % 100}" : $"{code / 1000}.{code / 100 % 10}.{code % 100}";
    }

    // NCCL reads its settings with getenv; .NET's Environment.SetEnvironmentVariable does not reach the C environment.
    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    /// <summary>Sets a variable in the process's C environment unless it is already set there.</summary>
    public static void Default(string name, string value) => SetEnv(name, value, 0);
}
