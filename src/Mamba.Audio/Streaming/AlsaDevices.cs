using System.Runtime.InteropServices;

namespace Mamba.Audio.Streaming;

/// <summary>An ALSA PCM device: the name to give `alsa device=...`, its description, and whether it plays, records or both.</summary>
public sealed record AlsaDevice(string Name, string Description, string Direction);

/// <summary>The PCM devices ALSA knows (snd_device_name_hint, what `aplay -L` lists), by P/Invoke of libasound.so.2.</summary>
public static unsafe class AlsaDevices
{
    private const string Library = "libasound.so.2";

    public static IReadOnlyList<AlsaDevice> List()
    {
        var devices = new List<AlsaDevice>();
        try
        {
            if (snd_device_name_hint(-1, "pcm", out nint hints) < 0 || hints == 0) return devices;
            try
            {
                for (int i = 0; ; i++)
                {
                    nint hint = Marshal.ReadIntPtr(hints, i * IntPtr.Size);
                    if (hint == 0) break;
                    string? name = Take(snd_device_name_get_hint(hint, "NAME"));
                    string description = (Take(snd_device_name_get_hint(hint, "DESC")) ?? "").Replace('\n', ' ');
                    string direction = Take(snd_device_name_get_hint(hint, "IOID")) switch { "Output" => "output", "Input" => "input", _ => "output and input" };
                    if (name is not null && name != "null") devices.Add(new AlsaDevice(name, description, direction));
                }
            }
            finally
            {
                snd_device_name_free_hint(hints);
            }
        }
        catch (DllNotFoundException e)
        {
            throw new AudioDeviceException($"ALSA: {Library} is not installed (Debian: apt install libasound2).", e);
        }
        return devices;
    }

    /// <summary>A string ALSA allocated with malloc, read and freed.</summary>
    private static string? Take(nint text)
    {
        if (text == 0) return null;
        try { return Marshal.PtrToStringUTF8(text); }
        finally { NativeMemory.Free((void*)text); }
    }

    [DllImport(Library)] private static extern int snd_device_name_hint(int card, string iface, out nint hints);
    [DllImport(Library)] private static extern nint snd_device_name_get_hint(nint hint, string id);
    [DllImport(Library)] private static extern int snd_device_name_free_hint(nint hints);
}
