using System.Runtime.InteropServices;

namespace Mamba.Audio.Streaming;

/// <summary>libasound.so.2's PCM calls, by P/Invoke of the versioned name; streams are 16-bit mono, interleaved.</summary>
internal static class AlsaPcm
{
    public const string Library = "libasound.so.2";
    public const int Playback = 0, Capture = 1;
    private const int FormatS16Le = 2, AccessRwInterleaved = 3;

    /// <summary>Opens and configures a device; throws <see cref="AudioDeviceException"/> saying what is wrong.</summary>
    public static nint Open(string device, int direction, int sampleRate, long latencySamples)
    {
        string what = direction == Playback ? "" : " for capture";
        try
        {
            int error = snd_pcm_open(out nint pcm, device, direction, 0);
            if (error < 0)
                throw new AudioDeviceException($"ALSA: cannot open device '{device}'{what}: {Error(error)}. `mamba-audio devices` (or `aplay -L`) lists the devices; 'default' is the system's.");
            uint latency = (uint)Math.Clamp(latencySamples * 1_000_000 / sampleRate, 1000, 10_000_000);
            error = snd_pcm_set_params(pcm, FormatS16Le, AccessRwInterleaved, 1, (uint)sampleRate, 1, latency);
            if (error < 0)
            {
                snd_pcm_close(pcm);
                throw new AudioDeviceException($"ALSA: device '{device}' refused 16-bit mono{what} at {sampleRate} Hz with {latency / 1000} ms of buffer: {Error(error)}.");
            }
            return pcm;
        }
        catch (DllNotFoundException e)
        {
            throw new AudioDeviceException($"ALSA: {Library} is not installed (Debian: apt install libasound2).", e);
        }
    }

    public static string Error(int code) => Marshal.PtrToStringUTF8(snd_strerror(code)) ?? $"error {code}";

    [DllImport(Library)] private static extern int snd_pcm_open(out nint pcm, string name, int stream, int mode);
    [DllImport(Library)] private static extern int snd_pcm_set_params(nint pcm, int format, int access, uint channels, uint rate, int softResample, uint latency);
    [DllImport(Library)] public static extern nint snd_pcm_writei(nint pcm, nint buffer, nuint frames);
    [DllImport(Library)] public static extern nint snd_pcm_readi(nint pcm, nint buffer, nuint frames);
    [DllImport(Library)] public static extern int snd_pcm_recover(nint pcm, int error, int silent);
    [DllImport(Library)] public static extern int snd_pcm_delay(nint pcm, out nint frames);
    [DllImport(Library)] public static extern int snd_pcm_drain(nint pcm);
    [DllImport(Library)] public static extern int snd_pcm_close(nint pcm);
    [DllImport(Library)] private static extern nint snd_strerror(int error);
}
