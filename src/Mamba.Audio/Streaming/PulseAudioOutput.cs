using System.Runtime.InteropServices;

namespace Mamba.Audio.Streaming;

/// <summary>
/// Output to a PulseAudio (or PipeWire-Pulse) server through libpulse-simple.so.0, by P/Invoke of
/// the versioned name (no NuGet package plays sound on Linux). Samples go out as 16-bit PCM,
/// converted as the WAV writer converts them, so what the server receives is bit for bit what a WAV
/// sink records. The server's buffer is asked for the target latency (tlength), so the latency is a
/// setting, not the server default of about 2 s.
/// </summary>
public sealed class PulseAudioOutput : AudioOutput
{
    private const string Library = "libpulse-simple.so.0";
    private const int StreamPlayback = 1;
    private const int SampleS16Le = 3;
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
        var spec = new SampleSpec { Format = SampleS16Le, Rate = (uint)sampleRate, Channels = 1 };
        uint bytes = (uint)Math.Clamp(latencySamples * 2, 2 * maxBlock, int.MaxValue);
        var attr = new BufferAttr { MaxLength = uint.MaxValue, TLength = bytes, PreBuf = uint.MaxValue, MinReq = uint.MaxValue, FragSize = uint.MaxValue };
        try
        {
            handle = pa_simple_new(server, name, StreamPlayback, device, "playback", ref spec, 0, ref attr, out int error);
            if (handle == 0)
                throw new AudioDeviceException($"PulseAudio: cannot open {(device is null ? "the default sink" : $"sink '{device}'")} on {server ?? "the default server"}: {Error(error)}. " +
                    "Is a PulseAudio or PipeWire server running (pactl info)? --server and --device choose another.");
        }
        catch (DllNotFoundException e)
        {
            throw new AudioDeviceException($"PulseAudio: {Library} is not installed (Debian: apt install libpulse0); it is what plays sound on Linux.", e);
        }
        Description = $"PulseAudio, {(device is null ? "default sink" : $"sink {device}")}{(server is null ? "" : $" on {server}")}";
    }

    public override string Description { get; }

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

    private static string Error(int code) => Marshal.PtrToStringUTF8(pa_strerror(code)) ?? $"error {code}";

    [StructLayout(LayoutKind.Sequential)]
    private struct SampleSpec { public int Format; public uint Rate; public byte Channels; }

    [StructLayout(LayoutKind.Sequential)]
    private struct BufferAttr { public uint MaxLength, TLength, PreBuf, MinReq, FragSize; }

    [DllImport(Library)] private static extern nint pa_simple_new(string? server, string name, int dir, string? dev, string streamName, ref SampleSpec ss, nint channelMap, ref BufferAttr attr, out int error);
    [DllImport(Library)] private static extern int pa_simple_write(nint s, nint data, nuint bytes, out int error);
    [DllImport(Library)] private static extern int pa_simple_drain(nint s, out int error);
    [DllImport(Library)] private static extern ulong pa_simple_get_latency(nint s, out int error);
    [DllImport(Library)] private static extern void pa_simple_free(nint s);
    [DllImport("libpulse.so.0")] private static extern nint pa_strerror(int error);
}
