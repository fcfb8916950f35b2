namespace Mamba.Audio.Corpora;

/// <summary>A figure given per split, as the manifest writes it: {"train": ..., "validation": ...}.</summary>
public sealed record CorpusSplitValues<T>(T Train, T Validation)
{
    public T this[CorpusSplit split] => split == CorpusSplit.Train ? Train : Validation;
}
