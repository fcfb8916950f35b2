using static Mamba.Audio.Streaming.PulseSimple;

namespace Mamba.Audio.Streaming;

/// <summary>
/// Output to a PulseAudio (or PipeWire-Pulse) server through libpulse-simple (<see cref="PulseSimple"/>).
/// Samples go out as 16-bit PCM, converted as the WAV writer converts them, so what the server
/// receives is bit for bit what a WAV sink records. The server's buffer is asked for the target
/// latency (tlength), so the latency is a setting, not the server default of about 2 s.
/// </summary>
public sealed class PulseAudioOutput : AudioOutput
{
    private readonly nint handle;
    private readonly short[] pcm;
    private readonly int sampleRate;

    /// <param name="server">Server address (null: the default, or $PULSE_SERVER).</param>
    /// <param name="device">Sink name (null: the server's default sink).</param>
    /// <param name="latencySamples">Target buffer of the server, in samples.</param>
    public PulseAudioOutput(int sampleRate, int maxBlock, long latencySamples, string? server = null, string? device = null, string name = "mamba-audio")
    {
        this.sampleRate = sampleRate;
        pcm = new short[maxBlock];
        uint bytes = (uint)Math.Clamp(latencySamples * 2, 2 * maxBlock, int.MaxValue);
        TargetLatencySamples = bytes / 2;
        handle = Open(Playback, sampleRate, server, device, name,
            new BufferAttr { MaxLength = uint.MaxValue, TLength = bytes, PreBuf = uint.MaxValue, MinReq = uint.MaxValue, FragSize = uint.MaxValue },
            device is null ? "the default sink" : $"sink '{device}'",
            "Is a PulseAudio or PipeWire server running (pactl info)? --server and --device choose another.");
        Description = $"PulseAudio, {(device is null ? "default sink" : $"sink {device}")}{(server is null ? "" : $" on {server}")}";
    }

    public override string Description { get; }

    public override long TargetLatencySamples { get; }

    public override long LatencySamples
    {
        get
        {
            ulong microseconds = pa_simple_get_latency(handle, out int error);
            return error != 0 ? -1 : (long)(microseconds * (ulong)sampleRate / 1_000_000);
        }
    }

    public override void Write(ReadOnlySpan<float> block)
    {
        for (int i = 0; i < block.Length; i++) pcm[i] = Files.Pcm16WavWriter.ToPcm16(block[i]);
        unsafe
        {
            fixed (short* p = pcm)
                if (pa_simple_write(handle, (nint)p, (nuint)(2 * block.Length), out int error) < 0)
                    throw new AudioDeviceException($"PulseAudio: write failed: {Error(error)} (the server went away?).");
        }
    }

    public override void Drain()
    {
        if (pa_simple_drain(handle, out int error) < 0) throw new AudioDeviceException($"PulseAudio: drain failed: {Error(error)}.");
    }

    public override void Dispose()
    {
        if (handle != 0) pa_simple_free(handle);
    }
}
