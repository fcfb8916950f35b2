using static Mamba.Audio.Streaming.PulseSimple;

namespace Mamba.Audio.Streaming;

/// <summary>
/// Capture from a PulseAudio (or PipeWire-Pulse) source through libpulse-simple (<see cref="PulseSimple"/>),
/// 16-bit mono at the chain's rate (the server converts). <see cref="Read"/> blocks until the block has
/// been recorded, so a capture generator is paced by the sound card. A sink's monitor ("NAME.monitor")
/// records what the sink plays.
/// </summary>
public sealed class PulseAudioInput : IDisposable
{
    private readonly nint handle;
    private readonly short[] pcm;

    public PulseAudioInput(int sampleRate, int maxBlock, long latencySamples, string? server = null, string? device = null, string name = "mamba-audio")
    {
        pcm = new short[maxBlock];
        handle = Open(Record, sampleRate, server, device, name,
            new BufferAttr { MaxLength = uint.MaxValue, TLength = uint.MaxValue, PreBuf = uint.MaxValue, MinReq = uint.MaxValue, FragSize = (uint)Math.Clamp(latencySamples * 2, 2, int.MaxValue) },
            device is null ? "the default source" : $"source '{device}'",
            "Is a PulseAudio or PipeWire server running (pactl list short sources)?");
        Description = $"PulseAudio, {(device is null ? "default source" : $"source {device}")}{(server is null ? "" : $" on {server}")}";
    }

    public string Description { get; }

    /// <summary>Records <c>block.Length</c> samples (blocking until they are there) as floats (x / 32768, as a 16-bit file is read).</summary>
    public void Read(Span<float> block)
    {
        unsafe
        {
            fixed (short* p = pcm)
                if (pa_simple_read(handle, (nint)p, (nuint)(2 * block.Length), out int error) < 0)
                    throw new AudioDeviceException($"PulseAudio: capture failed: {Error(error)} (the server went away?).");
        }
        for (int i = 0; i < block.Length; i++) block[i] = pcm[i] / 32768f;
    }

    public void Dispose()
    {
        if (handle != 0) pa_simple_free(handle);
    }
}
