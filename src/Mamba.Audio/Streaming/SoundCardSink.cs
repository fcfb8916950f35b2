using Mamba.Audio.Plugins;

namespace Mamba.Audio.Streaming;

/// <summary>The sound-card back-ends a chain can end in.</summary>
public enum SoundCardBackend { PulseAudio, Alsa, Wasapi }

/// <summary>
/// `pulse server=... device=...`, `alsa device=...` or `wasapi device=...` in a chain: where the live stream goes. It
/// records nothing itself: the <see cref="StreamingHost"/> plays the chain's output through the ring
/// to the device it names.
/// </summary>
public sealed class SoundCardSink(SoundCardBackend backend, string? server, string? device) : Sink(NameOf(backend), [])
{
    public SoundCardBackend Backend { get; } = backend;
    public string? Server { get; } = server;
    public string? Device { get; } = device;

    /// <summary>Opens the device this sink names.</summary>
    public AudioOutput Open(int sampleRate, int maxBlock, long latencySamples) => Backend switch
    {
        SoundCardBackend.Alsa => new AlsaOutput(sampleRate, maxBlock, latencySamples, Device ?? "default"),
        SoundCardBackend.Wasapi => OperatingSystem.IsWindows() ? new Wasapi.WasapiOutput(sampleRate, maxBlock, latencySamples, Device) : throw NotWindows(),
        _ => new PulseAudioOutput(sampleRate, maxBlock, latencySamples, Server, Device),
    };

    public static string NameOf(SoundCardBackend backend) => backend switch { SoundCardBackend.Alsa => "alsa", SoundCardBackend.Wasapi => "wasapi", _ => "pulse" };

    /// <summary>The sink play uses when a chain names none: WASAPI on Windows, PulseAudio elsewhere.</summary>
    public static string DefaultName => OperatingSystem.IsWindows() ? "wasapi" : "pulse";

    internal static AudioDeviceException NotWindows() =>
        new("WASAPI is Windows' audio API and this is not Windows: use pulse or alsa (`mamba-audio devices` lists them).");

    public override void Write(ReadOnlySpan<float> block) { }
}
