using NAudio.Wave;

namespace Mamba.Audio.Files;

/// <summary>
/// A WAV file as a stream of mono float samples at the file's own rate: channels are averaged,
/// integer PCM is scaled to [-1, 1). Reads PCM 8/16/24/32-bit and IEEE float 32/64-bit, plain or
/// WAVE_FORMAT_EXTENSIBLE, any channel count and rate. The header is checked when the file is
/// opened (<see cref="WavHeader.Read"/>) and the data chunk it found is then read straight from the
/// file, block by block, so memory stays bounded whatever the length of the file or its channel count.
/// </summary>
/// <remarks>
/// The data is read here rather than through NAudio's WaveFileReader because that reader trusts the
/// RIFF size field (0 or 4 in files written by streaming tools, which sox reads) and keeps the block
/// align in a 16-bit signed field (-1 for 65535 channels of 8 bits): both made sound files "unreadable".
/// <para>
/// Float samples that are not audio are never passed on: NaN and infinity become silence and values
/// beyond full scale are clipped to +-1, before the resampler, whose filter would otherwise spread one
/// bad value over hundreds of neighbours. They are counted (<see cref="NonFiniteSamples"/>,
/// <see cref="ClippedSamples"/>, <see cref="SampleWarnings"/>); in strict mode the first one is an error.
/// </para>
/// </remarks>
public sealed class WavSource : ISampleProvider, IDisposable
{
    /// <summary>Bytes read from the file at most per call, so that a file of many channels needs no huge buffer.</summary>
    private const int MaxBytesPerRead = 1 << 20;

    private readonly FileStream stream;
    private readonly bool strict;
    private byte[] frameBuffer = [];
    private long bytesLeft;
    private long framesRead;

    private WavSource(string path, WavHeader header, FileStream stream, bool strict)
    {
        Path = path;
        Header = header;
        this.stream = stream;
        this.strict = strict;
        bytesLeft = header.DataBytes;
        stream.Position = header.DataOffset;
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
            return new WavSource(path, WavHeader.Read(stream, path, options), stream, options.Strict);
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

    /// <summary>Problems of the header tolerated in lenient mode (see <see cref="WavReadOptions"/>); empty for a sound file.</summary>
    public IReadOnlyList<string> Warnings => Header.Warnings;

    /// <summary>Frames read so far whose samples held NaN or infinity (given as silence).</summary>
    public long NonFiniteSamples { get; private set; }

    /// <summary>Frames read so far with a float sample beyond full scale (clipped to +-1).</summary>
    public long ClippedSamples { get; private set; }

    /// <summary>The header's warnings and, for what has been read so far, the samples replaced or clipped.</summary>
    public IReadOnlyList<string> SampleWarnings()
    {
        var all = new List<string>(Warnings);
        if (NonFiniteSamples > 0) all.Add($"{NonFiniteSamples:N0} frame(s) with NaN or infinite samples, given as silence.");
        if (ClippedSamples > 0) all.Add($"{ClippedSamples:N0} frame(s) with float samples beyond full scale (+-1), clipped.");
        return all;
    }

    /// <summary>The output format: IEEE float, mono, at the file's sample rate.</summary>
    public WaveFormat WaveFormat { get; }

    /// <summary>Reads up to <c>mono.Length</c> samples; returns the count written, 0 at the end of the audio.</summary>
    /// <exception cref="AudioFileException">Strict mode, and a float sample is not finite or beyond full scale.</exception>
    public int Read(Span<float> mono)
    {
        int blockAlign = Header.BlockAlign;
        int frames = (int)Math.Min(Math.Min(mono.Length, bytesLeft / blockAlign), Math.Max(1, MaxBytesPerRead / blockAlign));
        if (frames == 0) return 0;
        int wanted = frames * blockAlign;
        if (frameBuffer.Length < wanted) frameBuffer = new byte[wanted];

        var bytes = frameBuffer.AsSpan(0, wanted);
        int got = stream.ReadAtLeast(bytes, wanted, throwOnEndOfStream: false);
        // Only whole frames count; if the file shrank under us, end the stream at the last one.
        frames = got / blockAlign;
        bytesLeft = got < wanted ? 0 : bytesLeft - got;
        var counts = FrameMixer.MixToMono(bytes[..(frames * blockAlign)], Header, mono[..frames]);
        if (counts.Any)
        {
            if (strict)
                throw new AudioFileException(Path, $"frame {framesRead + counts.FirstFrame:N0} holds a sample that is {(counts.NonFinite > 0 ? "NaN or infinite" : "beyond full scale (+-1)")} (--strict refuses samples that are not audio).");
            NonFiniteSamples += counts.NonFinite;
            ClippedSamples += counts.Clipped;
        }
        framesRead += frames;
        return frames;
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => stream.Dispose();
}
