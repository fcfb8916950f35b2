namespace Mamba.Audio.Plugins;

/// <summary>What every plugin of a chain is told before it runs: mono samples at <paramref name="SampleRate"/>, in blocks of at most <paramref name="MaxBlock"/>.</summary>
public sealed record StreamFormat(int SampleRate, int MaxBlock)
{
    public StreamFormat Validate()
    {
        if (SampleRate is < 1000 or > 384000) throw new ArgumentException($"sample rate {SampleRate}: must be in 1000..384000 Hz.");
        if (MaxBlock is < 1 or > 1 << 16) throw new ArgumentException($"block {MaxBlock}: must be in 1..65536 samples.");
        return this;
    }
}
