using Mamba.Audio.Files;

namespace Mamba.Audio.Plugins.BuiltIn;

/// <summary>
/// `wav path=out.wav`: records the chain as 16-bit PCM, valid after every block. It writes to
/// out.partial.wav and renames at the end (as render does); an existing file is refused unless the
/// chain was built with force.
/// </summary>
public sealed class WavFileSink : Sink
{
    private readonly bool replace;
    private Pcm16WavWriter? writer;

    public WavFileSink(string path, bool replace) : base("wav", [])
    {
        Path = System.IO.Path.GetFullPath(path);
        if (!Path.EndsWith(".wav", StringComparison.OrdinalIgnoreCase)) throw new ArgumentException($"wav path={path}: must name a .wav file.");
        PartialPath = System.IO.Path.ChangeExtension(Path, ".partial.wav");
        this.replace = replace;
        foreach (var file in new[] { Path, PartialPath })
        {
            if (Directory.Exists(file)) throw new ArgumentException($"wav path={path}: {file} is a directory.");
            if (!replace && File.Exists(file)) throw new ArgumentException($"wav path={path}: {file} exists and is not overwritten; choose another path or pass --force.");
        }
    }

    public string Path { get; }
    public string PartialPath { get; }
    public long SamplesWritten => writer?.SamplesWritten ?? 0;

    protected override void OnPrepare(StreamFormat format)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        writer = new Pcm16WavWriter(PartialPath, format.SampleRate);
    }

    public override void Write(ReadOnlySpan<float> block) => writer!.Write(block);

    public override void Finish()
    {
        if (writer is null) return;
        writer.Dispose();
        File.Move(PartialPath, Path, overwrite: replace);
        writer = null;
    }

    public override void Dispose() => writer?.Dispose();
}
