namespace Mamba.Audio.Corpora;

/// <summary>Which part of a corpus a file belongs to; written as "train" and "validation" in the JSON files.</summary>
public enum CorpusSplit
{
    Train,
    Validation,
}
