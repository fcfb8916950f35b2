using System.Buffers.Binary;
using Mamba.Audio.Files;
using Mamba.Audio.Resampling;
using Mamba.Audio.Service.Protocol;

namespace Mamba.Audio.Service.Sessions;

/// <summary>
/// Turns a stream's mu-law classes into the blocks its client asked for: the classes themselves
/// (mulaw), or 16-bit PCM decoded exactly as render writes its WAV files, at the model's rate or
/// resampled (<see cref="StreamingSincResampler"/>) to the client's. Buffers are made once; a
/// block allocates nothing.
/// </summary>
public sealed class BlockEncoder
{
    public const int MaxFeed = 4096;

    private readonly AudioEncoding encoding;
    private readonly StreamingSincResampler? resampler;
    private readonly float[] decoded = new float[MaxFeed];
    private readonly float[] resampled;
    private readonly byte[] fifo;
    private readonly int modelRate, outputRate;
    private int count;
    private long fed, produced;

    public BlockEncoder(AudioEncoding encoding, int modelRate, int outputRate, int block)
    {
        if (encoding == AudioEncoding.MuLaw && outputRate != modelRate)
            throw new ProtocolException(ErrorCodes.BadField, $"mulaw audio is the model's own classes, at its rate ({modelRate} Hz); ask for pcm16 at {outputRate} Hz.");
        this.encoding = encoding;
        (this.modelRate, this.outputRate) = (modelRate, outputRate);
        Block = block;
        BlockBytes = block * AudioEncodings.BytesPerSample(encoding);
        if (outputRate != modelRate) resampler = new StreamingSincResampler(modelRate, outputRate, MaxFeed);
        resampled = new float[resampler?.MaxOutput(MaxFeed) ?? 0];
        fifo = new byte[BlockBytes + (resampled.Length + MaxFeed) * 2];
    }

    /// <summary>Output samples per block.</summary>
    public int Block { get; }
    public int BlockBytes { get; }

    /// <summary>Whole blocks' worth of bytes waiting.</summary>
    public bool HasBlock => count >= BlockBytes;

    /// <summary>Model-rate classes that make the next block (a hint for how much to read).</summary>
    public int ClassesWanted => (int)Math.Clamp((long)(BlockBytes - count) * modelRate / outputRate / AudioEncodings.BytesPerSample(encoding) + 1, 1, MaxFeed);

    /// <summary>Appends the output that <paramref name="classes"/> (at most <see cref="MaxFeed"/>) make.</summary>
    public void Feed(ReadOnlySpan<byte> classes)
    {
        if (classes.Length > MaxFeed) throw new ArgumentException($"at most {MaxFeed} classes a call.", nameof(classes));
        fed += classes.Length;
        if (encoding == AudioEncoding.MuLaw)
        {
            classes.CopyTo(fifo.AsSpan(count));
            count += classes.Length;
            return;
        }
        var samples = decoded.AsSpan(0, classes.Length);
        MuLaw.Decode(classes, samples);
        if (resampler is not null)
        {
            int n = resampler.Process(samples, resampled);
            samples = resampled.AsSpan(0, n);
        }
        AppendPcm(samples);
    }

    /// <summary>At the stream's end: the resampler's last outputs (those its look-ahead held back), so the output has the length the input's duration gives.</summary>
    public void Finish()
    {
        if (resampler is null) return;
        long wanted = fed * outputRate / modelRate;
        Span<float> silence = stackalloc float[StreamingSincResampler.Half];
        while (produced < wanted)
        {
            int n = resampler.Process(silence, resampled);
            if (n == 0) break;
            AppendPcm(resampled.AsSpan(0, (int)Math.Min(n, wanted - produced)));
        }
    }

    /// <summary>Moves the next block (or, with <paramref name="partial"/>, what is left) into <paramref name="destination"/>; returns its byte count.</summary>
    public int Take(Span<byte> destination, bool partial = false)
    {
        int n = partial ? Math.Min(count, BlockBytes) : (HasBlock ? BlockBytes : 0);
        fifo.AsSpan(0, n).CopyTo(destination);
        fifo.AsSpan(n, count - n).CopyTo(fifo);
        count -= n;
        return n;
    }

    private void AppendPcm(ReadOnlySpan<float> samples)
    {
        foreach (float x in samples)
        {
            BinaryPrimitives.WriteInt16LittleEndian(fifo.AsSpan(count), Pcm16WavWriter.ToPcm16(x));
            count += 2;
        }
        produced += samples.Length;
    }
}
