using Mamba.Core.Sampling;

namespace Mamba.Audio.Generation;

/// <summary>What <see cref="Renderer.Render"/> makes.</summary>
/// <param name="Seconds">Duration of each take (hours are fine: memory does not grow with it).</param>
/// <param name="Sampling">Temperature, top-p and the first seed; take i uses seed + i.</param>
/// <param name="Takes">N variations rendered at once, one engine stream each, ranked by log-likelihood per sample.</param>
/// <param name="Prompt">Mu-law classes to continue from (each take is primed with all of them); null = from silence.</param>
/// <param name="BlockSamples">Samples generated and written per block: the file grows (and stays valid) block by block.</param>
/// <param name="SampleRate">Rate written in the WAV header (the model's rate).</param>
public sealed record RenderRequest(
    double Seconds,
    SamplingSettings Sampling,
    int Takes = 1,
    byte[]? Prompt = null,
    int BlockSamples = RenderRequest.DefaultBlockSamples,
    int SampleRate = AudioInput.DefaultSampleRate)
{
    public const int DefaultBlockSamples = 4096;

    /// <summary>Samples per take: Seconds x SampleRate, rounded.</summary>
    public long TotalSamples => (long)Math.Round(Seconds * SampleRate);

    /// <summary>Throws <see cref="ArgumentException"/> naming the field and its range.</summary>
    public RenderRequest Validate()
    {
        if (!(Seconds > 0 && Seconds <= MaxSeconds))
            throw new ArgumentOutOfRangeException(nameof(Seconds), Seconds, $"seconds must be in (0, {MaxSeconds}] (a 16-bit mono WAV holds at most 4 GiB).");
        if (Takes is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(Takes), Takes, "takes must be in 1..256.");
        if (BlockSamples is < 1 or > 1 << 20) throw new ArgumentOutOfRangeException(nameof(BlockSamples), BlockSamples, "block must be in 1..1048576 samples.");
        if (SampleRate is < 1 or > Files.WavHeader.MaxSampleRate) throw new ArgumentOutOfRangeException(nameof(SampleRate), SampleRate, "sample rate out of range.");
        if (Prompt is { Length: 0 }) throw new ArgumentException("the prompt holds no samples.", nameof(Prompt));
        Sampling.Validate();
        return this;
    }

    /// <summary>Upper bound on <see cref="Seconds"/>: 24 hours (a 16 kHz 16-bit WAV reaches 4 GiB after about 37).</summary>
    public const double MaxSeconds = 86_400;
}
