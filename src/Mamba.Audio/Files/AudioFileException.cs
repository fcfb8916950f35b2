namespace Mamba.Audio.Files;

/// <summary>An audio file that cannot be read: the message names the file and the problem.</summary>
public sealed class AudioFileException : Exception
{
    /// <summary>Creates the exception; the message is "<paramref name="path"/>: <paramref name="problem"/>".</summary>
    public AudioFileException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The file that was being read.</summary>
    public string Path { get; }

    /// <summary>What is wrong with it, without the path.</summary>
    public string Problem { get; }
}
