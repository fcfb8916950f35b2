using NAudio.Wave;

namespace Mamba.Audio.Files;

/// <summary>
/// A WAV file as a stream of mono float samples at the file's own rate: channels are averaged,
/// integer PCM is scaled to [-1, 1). Reads PCM 8/16/24/32-bit and IEEE float 32/64-bit, plain or
/// WAVE_FORMAT_EXTENSIBLE, any channel count and rate. The header is checked when the file is
/// opened (<see cref="WavHeader.Read"/>); audio is then pulled block by block through NAudio's
/// <see cref="WaveFileReader"/>, so memory stays bounded by the caller's block size, whatever the
/// length of the file.
/// </summary>
public sealed class WavSource : ISampleProvider, IDisposable
{
    private readonly WaveFileReader reader;
    private byte[] frameBuffer = [];
    private long bytesLeft;

    private WavSource(string path, WavHeader header, WaveFileReader reader)
    {
        Path = path;
        Header = header;
        this.reader = reader;
        bytesLeft = header.DataBytes;
        WaveFormat = WaveFormat.CreateIeeeFloatWaveFormat(header.SampleRate, 1);
    }

    /// <summary>Opens and checks <paramref name="path"/>; throws <see cref="AudioFileException"/> for a file it cannot read.</summary>
    public static WavSource Open(string path, WavReadOptions? options = null)
    {
        options ??= WavReadOptions.Default;
        FileStream stream;
        try
        {
            // ReadWrite sharing: a file that a Pcm16WavWriter is still writing can be read up to its last block.
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AudioFileException(path, $"cannot open: {e.Message}", e);
        }
        try
        {
            var header = WavHeader.Read(stream, path, options);
            stream.Position = 0;
            var reader = new WaveFileReader(stream);
            // NAudio walks the chunks itself; both walks must land on the same data chunk.
            if (stream.Position != header.DataOffset)
                throw new AudioFileException(path, $"NAudio found the data at offset {stream.Position}, the header check at {header.DataOffset}.");
            return new WavSource(path, header, reader);
        }
        catch (Exception e)
        {
            stream.Dispose();
            if (e is AudioFileException) throw;
            throw new AudioFileException(path, $"cannot read the WAV header: {e.Message}", e);
        }
    }

    /// <summary>The file being read.</summary>
    public string Path { get; }

    /// <summary>The checked header: source format, channels, rate and readable length.</summary>
    public WavHeader Header { get; }

    /// <summary>Problems tolerated in lenient mode (see <see cref="WavReadOptions"/>); empty for a sound file.</summary>
    public IReadOnlyList<string> Warnings => Header.Warnings;

    /// <summary>The output format: IEEE float, mono, at the file's sample rate.</summary>
    public WaveFormat WaveFormat { get; }

    /// <summary>Reads up to <c>mono.Length</c> samples; returns the count written, 0 at the end of the audio.</summary>
    public int Read(Span<float> mono)
    {
        int blockAlign = Header.BlockAlign;
        int frames = (int)Math.Min(mono.Length, bytesLeft / blockAlign);
        if (frames == 0) return 0;
        int wanted = frames * blockAlign;
        if (frameBuffer.Length < wanted) frameBuffer = new byte[wanted];

        var bytes = frameBuffer.AsSpan(0, wanted);
        int got = 0;
        while (got < wanted)
        {
            int n = reader.Read(bytes[got..]);
            if (n == 0) break;
            got += n;
        }
        // Only whole frames count; if the file shrank under us, end the stream at the last one.
        frames = got / blockAlign;
        bytesLeft = got < wanted ? 0 : bytesLeft - got;
        FrameMixer.MixToMono(bytes[..(frames * blockAlign)], Header, mono[..frames]);
        return frames;
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => reader.Dispose();
}
