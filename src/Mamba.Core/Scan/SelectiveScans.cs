using static TorchSharp.torch;

namespace Mamba.Core.Scan;

/// <summary>Which selective scan to use, by name or by device.</summary>
public static class SelectiveScans
{
    public static readonly IReadOnlyList<string> Names = new[] { "auto", "reference" };

    /// <summary>The fastest correct scan for tensors on <paramref name="device"/>.</summary>
    public static ISelectiveScan For(Device device) => ReferenceSelectiveScan.Instance;

    /// <summary>Resolves a user's choice; "auto" defers to <see cref="For"/>.</summary>
    public static ISelectiveScan Resolve(string name, Device device) => name switch
    {
        "auto" => For(device),
        "reference" => ReferenceSelectiveScan.Instance,
        _ => throw new ArgumentException($"scan '{name}': expected one of {string.Join(", ", Names)}."),
    };
}
