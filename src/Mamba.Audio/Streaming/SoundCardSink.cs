using Mamba.Audio.Plugins;

namespace Mamba.Audio.Streaming;

/// <summary>The sound-card back-ends a chain can end in.</summary>
public enum SoundCardBackend { PulseAudio, Alsa }

/// <summary>
/// `pulse server=... device=...` or `alsa device=...` in a chain: where the live stream goes. It
/// records nothing itself: the <see cref="StreamingHost"/> plays the chain's output through the ring
/// to the device it names.
/// </summary>
public sealed class SoundCardSink(SoundCardBackend backend, string? server, string? device) : Sink(backend == SoundCardBackend.Alsa ? "alsa" : "pulse", [])
{
    public SoundCardBackend Backend { get; } = backend;
    public string? Server { get; } = server;
    public string? Device { get; } = device;

    /// <summary>Opens the device this sink names.</summary>
    public AudioOutput Open(int sampleRate, int maxBlock, long latencySamples) => Backend == SoundCardBackend.Alsa
        ? new AlsaOutput(sampleRate, maxBlock, latencySamples, Device ?? "default")
        : new PulseAudioOutput(sampleRate, maxBlock, latencySamples, Server, Device);

    public override void Write(ReadOnlySpan<float> block) { }
}
