namespace Mamba.Core.Checkpoints;

/// <summary>The tensors and metadata read from a safetensors file by <see cref="SafeTensorsFile.Read"/>.</summary>
/// <param name="Header">The validated header the tensors were read by.</param>
/// <param name="Tensors">Tensors by name, in the order of their data in the file.</param>
/// <param name="HashVerified">
/// True when the file carried a content hash (<see cref="SafeTensorsFile.HashMetadataKey"/>) and it
/// matched; false when it had none (files written by PyTorch), so a flipped data byte could have
/// gone unnoticed.
/// </param>
public sealed record SafeTensorsContent(SafeTensorsHeader Header, IReadOnlyDictionary<string, SafeTensor> Tensors, bool HashVerified)
{
    /// <summary>"__metadata__" of the file; empty when it has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata => Header.Metadata;
}
