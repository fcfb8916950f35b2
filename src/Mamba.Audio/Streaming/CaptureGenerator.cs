using Mamba.Audio.Plugins;

namespace Mamba.Audio.Streaming;

/// <summary>
/// `capture server=... device=SOURCE` (PulseAudio) or `alsa-capture device=...` (ALSA): the sound
/// card's input as a chain's generator, opened in Prepare; each block blocks until it is recorded.
/// </summary>
public sealed class CaptureGenerator(SoundCardBackend backend, string? server, string? device) : Generator(backend == SoundCardBackend.Alsa ? "alsa-capture" : "capture", [])
{
    private PulseAudioInput? pulse;
    private AlsaInput? alsa;

    public SoundCardBackend Backend { get; } = backend;
    public string? Server { get; } = server;
    public string? Device { get; } = device;
    public string Description => pulse?.Description ?? alsa?.Description ?? "capture (not open)";

    /// <summary>Samples the device lost to late reads (ALSA reports them; PulseAudio's simple API does not).</summary>
    public long Overruns => alsa?.Overruns ?? 0;

    protected override void OnPrepare(StreamFormat format)
    {
        if (Backend == SoundCardBackend.Alsa) alsa = new AlsaInput(format.SampleRate, format.MaxBlock, format.MaxBlock, Device ?? "default");
        else pulse = new PulseAudioInput(format.SampleRate, format.MaxBlock, format.MaxBlock, Server, Device);
    }

    public override void Generate(Span<float> output)
    {
        if (alsa is not null) alsa.Read(output);
        else pulse!.Read(output);
    }

    public override void Dispose()
    {
        pulse?.Dispose();
        alsa?.Dispose();
    }
}
