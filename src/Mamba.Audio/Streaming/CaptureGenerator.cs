using Mamba.Audio.Plugins;

namespace Mamba.Audio.Streaming;

/// <summary>`capture server=... device=SOURCE`: the sound card's input as a chain's generator, opened in Prepare.</summary>
public sealed class CaptureGenerator(string? server, string? device) : Generator("capture", [])
{
    private PulseAudioInput? input;

    public string? Server { get; } = server;
    public string? Device { get; } = device;
    public string Description => input?.Description ?? "PulseAudio capture (not open)";

    protected override void OnPrepare(StreamFormat format) =>
        input = new PulseAudioInput(format.SampleRate, format.MaxBlock, format.MaxBlock, Server, Device);

    public override void Generate(Span<float> output) => input!.Read(output);

    public override void Dispose() => input?.Dispose();
}
