using System.Runtime.InteropServices;

namespace Mamba.Audio.Streaming;

/// <summary>
/// libpulse-simple.so.0, the blocking PulseAudio API, by P/Invoke of the versioned names (no NuGet
/// package plays or records sound on Linux). Streams are 16-bit mono; the server converts.
/// </summary>
internal static class PulseSimple
{
    public const string Library = "libpulse-simple.so.0";
    public const int Playback = 1, Record = 2;
    private const int SampleS16Le = 3;

    /// <summary>Opens a stream; throws <see cref="AudioDeviceException"/> saying what is missing.</summary>
    /// <param name="what">"the default sink" or "source 'x'", for the message.</param>
    public static nint Open(int direction, int sampleRate, string? server, string? device, string name, BufferAttr attr, string what, string hint)
    {
        var spec = new SampleSpec { Format = SampleS16Le, Rate = (uint)sampleRate, Channels = 1 };
        try
        {
            nint handle = pa_simple_new(server, name, direction, device, direction == Playback ? "playback" : "capture", ref spec, 0, ref attr, out int error);
            if (handle == 0)
                throw new AudioDeviceException($"PulseAudio: cannot open {what} on {server ?? "the default server"}: {Error(error)}. {hint}");
            return handle;
        }
        catch (DllNotFoundException e)
        {
            throw new AudioDeviceException($"PulseAudio: {Library} is not installed (Debian: apt install libpulse0); it is how sound is played and recorded on Linux.", e);
        }
    }

    public static string Error(int code) => Marshal.PtrToStringUTF8(pa_strerror(code)) ?? $"error {code}";

    [StructLayout(LayoutKind.Sequential)]
    public struct SampleSpec { public int Format; public uint Rate; public byte Channels; }

    /// <summary>pa_buffer_attr: uint.MaxValue leaves a field to the server.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct BufferAttr { public uint MaxLength, TLength, PreBuf, MinReq, FragSize; }

    [DllImport(Library)] private static extern nint pa_simple_new(string? server, string name, int dir, string? dev, string streamName, ref SampleSpec ss, nint channelMap, ref BufferAttr attr, out int error);
    [DllImport(Library)] public static extern int pa_simple_write(nint s, nint data, nuint bytes, out int error);
    [DllImport(Library)] public static extern int pa_simple_read(nint s, nint data, nuint bytes, out int error);
    [DllImport(Library)] public static extern int pa_simple_drain(nint s, out int error);
    [DllImport(Library)] public static extern ulong pa_simple_get_latency(nint s, out int error);
    [DllImport(Library)] public static extern void pa_simple_free(nint s);
    [DllImport("libpulse.so.0")] private static extern nint pa_strerror(int error);
}
