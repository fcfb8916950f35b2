using Mamba.Audio.Plugins;

namespace Mamba.Audio.Streaming;

/// <summary>
/// `capture server=... device=SOURCE` (PulseAudio) or `alsa-capture device=...` (ALSA): the sound
/// card's input as a chain's generator, opened in Prepare; each block blocks until it is recorded.
/// </summary>
public sealed class CaptureGenerator(SoundCardBackend backend, string? server, string? device) : Generator(SoundCardSink.NameOf(backend) switch { "pulse" => "capture", var other => other + "-capture" }, [])
{
    private PulseAudioInput? pulse;
    private AlsaInput? alsa;
    private IDisposable? wasapi;

    public SoundCardBackend Backend { get; } = backend;
    public string? Server { get; } = server;
    public string? Device { get; } = device;
    public string Description => pulse?.Description ?? alsa?.Description ?? (OperatingSystem.IsWindows() ? (wasapi as Wasapi.WasapiInput)?.Description : null) ?? "capture (not open)";

    /// <summary>Samples (ALSA) or packets (WASAPI) the device lost to late reads; PulseAudio's simple API does not say.</summary>
    public long Overruns => alsa?.Overruns ?? (OperatingSystem.IsWindows() ? (wasapi as Wasapi.WasapiInput)?.Discontinuities : null) ?? 0;

    protected override void OnPrepare(StreamFormat format)
    {
        if (Backend == SoundCardBackend.Alsa) alsa = new AlsaInput(format.SampleRate, format.MaxBlock, format.MaxBlock, Device ?? "default");
        else if (Backend == SoundCardBackend.Wasapi)
            wasapi = OperatingSystem.IsWindows() ? new Wasapi.WasapiInput(format.SampleRate, format.MaxBlock, format.MaxBlock, Device) : throw SoundCardSink.NotWindows();
        else pulse = new PulseAudioInput(format.SampleRate, format.MaxBlock, format.MaxBlock, Server, Device);
    }

    public override void Generate(Span<float> output)
    {
        if (alsa is not null) alsa.Read(output);
        else if (pulse is not null) pulse.Read(output);
        else if (OperatingSystem.IsWindows()) ((Wasapi.WasapiInput)wasapi!).Read(output);
    }

    public override void Dispose()
    {
        pulse?.Dispose();
        alsa?.Dispose();
        wasapi?.Dispose();
    }
}
