using Mamba.Audio.Plugins;

namespace Mamba.Audio.Streaming;

/// <summary>
/// `pulse server=... device=...` in a chain: where the live stream goes. It records nothing itself:
/// the <see cref="StreamingHost"/> plays the chain's output through the ring to the device it names.
/// </summary>
public sealed class SoundCardSink(string? server, string? device) : Sink("pulse", [])
{
    public string? Server { get; } = server;
    public string? Device { get; } = device;

    public override void Write(ReadOnlySpan<float> block) { }
}
