using Mamba.Audio.Files;
using Mamba.Audio.Resampling;
using Mamba.Audio.Service.Protocol;

namespace Mamba.Audio.Service.Sessions;

/// <summary>
/// Joins a client's prompt messages into mu-law classes at the model's rate, as they arrive: 16-bit
/// PCM is scaled by 1/32768 and, at another rate, resampled in a stream (so a long prompt is never
/// held as floats), then mu-law encoded; mulaw pieces are the classes themselves. Every piece must
/// have the first piece's encoding and rate, and the whole stays under the service's prompt limit.
/// </summary>
public sealed class PromptBuilder(int modelRate, double maxSeconds)
{
    private const int Piece = 4096;
    private readonly List<byte> classes = [];
    private AudioEncoding? encoding;
    private int rate;
    private StreamingSincResampler? resampler;
    private long inputSamples;
    private readonly float[] input = new float[Piece];
    private float[] output = [];

    public bool IsEmpty => classes.Count == 0 && inputSamples == 0;

    public void Add(PromptMessage message)
    {
        if (encoding is null)
        {
            if (message.Encoding == AudioEncoding.MuLaw && message.SampleRate != modelRate)
                throw new ProtocolException(ErrorCodes.BadField, $"a mulaw prompt is the model's classes, at its rate ({modelRate} Hz), not {message.SampleRate} Hz.");
            (encoding, rate) = (message.Encoding, message.SampleRate);
            if (rate != modelRate)
            {
                resampler = new StreamingSincResampler(rate, modelRate, Piece);
                output = new float[resampler.MaxOutput(Piece)];
            }
        }
        else if (message.Encoding != encoding || message.SampleRate != rate)
            throw new ProtocolException(ErrorCodes.BadField,
                $"every prompt piece must be {AudioEncodings.Name(encoding.Value)} at {rate} Hz like the first; this one is {AudioEncodings.Name(message.Encoding)} at {message.SampleRate} Hz.");
        int bytesPerSample = AudioEncodings.BytesPerSample(message.Encoding);
        if (message.Data.Length % bytesPerSample != 0)
            throw new ProtocolException(ErrorCodes.BadField, $"pcm16 prompt data is two bytes a sample; {message.Data.Length} bytes is not a whole number of samples.");
        int samples = message.Data.Length / bytesPerSample;
        if ((inputSamples + samples) / (double)rate > maxSeconds)
            throw new ProtocolException(ErrorCodes.Limit, $"the prompt would be {(inputSamples + samples) / (double)rate:0.#} s; this server takes at most {maxSeconds:0.#} s.");
        inputSamples += samples;
        if (message.Encoding == AudioEncoding.MuLaw)
        {
            classes.AddRange(message.Data);
            return;
        }
        for (int start = 0; start < samples; start += Piece)
        {
            int n = Math.Min(Piece, samples - start);
            Pcm16WavWriter.FromPcm16(message.Data.AsSpan(2 * start, 2 * n), input);
            Append(input.AsSpan(0, n));
        }
    }

    /// <summary>The prompt's classes (the resampler's tail flushed); null when no prompt was sent.</summary>
    public byte[]? Finish()
    {
        if (IsEmpty) return null;
        if (resampler is not null)
        {
            long wanted = inputSamples * modelRate / rate;
            var silence = new float[StreamingSincResampler.Half];
            while (classes.Count < wanted)
            {
                int n = resampler.Process(silence, output);
                if (n == 0) break;
                foreach (float x in output.AsSpan(0, (int)Math.Min(n, wanted - classes.Count))) classes.Add(MuLaw.Encode(x));
            }
        }
        return classes.Count == 0 ? null : [.. classes];
    }

    private void Append(ReadOnlySpan<float> samples)
    {
        if (resampler is not null)
        {
            int n = resampler.Process(samples, output);
            samples = output.AsSpan(0, n);
        }
        foreach (float x in samples) classes.Add(MuLaw.Encode(x));
    }
}
