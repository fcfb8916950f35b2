namespace Mamba.Audio.Corpora;

/// <summary>A corpus that cannot be opened or built: the message names the file and the problem.</summary>
public sealed class CorpusException : Exception
{
    public CorpusException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>"<paramref name="path"/>: <paramref name="problem"/>".</summary>
    public CorpusException(string path, string problem, Exception? inner = null) : base($"{path}: {problem}", inner) { }
}
