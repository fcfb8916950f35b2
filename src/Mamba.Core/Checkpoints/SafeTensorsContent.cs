using static TorchSharp.torch;

namespace Mamba.Core.Checkpoints;

/// <summary>
/// The tensors (CPU) and metadata read from a safetensors file. Owns the tensors: disposing the
/// content disposes every tensor still in <see cref="Tensors"/>; take a tensor out of the
/// dictionary (Remove) to keep it beyond that.
/// </summary>
public sealed class SafeTensorsContent : IDisposable
{
    /// <summary>Wraps tensors the caller hands over.</summary>
    public SafeTensorsContent(SafeTensorsHeader header, Dictionary<string, Tensor> tensors, bool hashVerified)
    {
        Header = header;
        Tensors = tensors;
        HashVerified = hashVerified;
    }

    /// <summary>The validated header the tensors were read by.</summary>
    public SafeTensorsHeader Header { get; }

    /// <summary>"__metadata__" of the file; empty when it has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata => Header.Metadata;

    /// <summary>Tensors by name, in the order of their data in the file.</summary>
    public Dictionary<string, Tensor> Tensors { get; }

    /// <summary>
    /// True when the file carried a content hash (<see cref="SafeTensorsFile.HashMetadataKey"/>)
    /// and it matched; false when it had none (files written by PyTorch), so a flipped data byte
    /// could have gone unnoticed.
    /// </summary>
    public bool HashVerified { get; }

    /// <summary>Disposes every tensor still held.</summary>
    public void Dispose()
    {
        foreach (var tensor in Tensors.Values) tensor.Dispose();
        Tensors.Clear();
    }
}
