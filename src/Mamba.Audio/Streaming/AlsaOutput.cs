using System.Runtime.InteropServices;

namespace Mamba.Audio.Streaming;

/// <summary>
/// Output to an ALSA device through libasound.so.2 (snd_pcm_open, snd_pcm_set_params, snd_pcm_writei,
/// snd_pcm_recover), 16-bit mono, by P/Invoke of the versioned name. "default" is the system's
/// default; "hw:0", "plughw:0" a card; "pulse:SINK" a PulseAudio sink through libasound2-plugins. A
/// device underrun (the card ran dry: EPIPE) is recovered and counted (<see cref="DeviceUnderruns"/>),
/// never a stop.
/// </summary>
public sealed class AlsaOutput : AudioOutput
{
    private const string Library = "libasound.so.2";
    private const int StreamPlayback = 0, FormatS16Le = 2, AccessRwInterleaved = 3;
    private readonly nint pcm;
    private readonly short[] buffer;

    public AlsaOutput(int sampleRate, int maxBlock, long latencySamples, string device = "default")
    {
        buffer = new short[maxBlock];
        TargetLatencySamples = Math.Max(maxBlock, latencySamples);
        try
        {
            int error = snd_pcm_open(out pcm, device, StreamPlayback, 0);
            if (error < 0)
                throw new AudioDeviceException($"ALSA: cannot open device '{device}': {Error(error)}. `aplay -L` lists the devices; 'default' is the system's.");
            uint latencyMicroseconds = (uint)Math.Clamp(TargetLatencySamples * 1_000_000 / sampleRate, 1000, 10_000_000);
            error = snd_pcm_set_params(pcm, FormatS16Le, AccessRwInterleaved, 1, (uint)sampleRate, 1, latencyMicroseconds);
            if (error < 0)
            {
                snd_pcm_close(pcm);
                throw new AudioDeviceException($"ALSA: device '{device}' refused 16-bit mono at {sampleRate} Hz with {latencyMicroseconds / 1000} ms of buffer: {Error(error)}.");
            }
        }
        catch (DllNotFoundException e)
        {
            throw new AudioDeviceException($"ALSA: {Library} is not installed (Debian: apt install libasound2).", e);
        }
        Description = $"ALSA, device {device}";
    }

    public override string Description { get; }
    public override long TargetLatencySamples { get; }

    /// <summary>Times the device itself ran dry and was recovered.</summary>
    public long DeviceUnderruns { get; private set; }

    public override long LatencySamples => snd_pcm_delay(pcm, out nint frames) < 0 ? -1 : frames;

    public override void Write(ReadOnlySpan<float> block)
    {
        for (int i = 0; i < block.Length; i++) buffer[i] = Files.Pcm16WavWriter.ToPcm16(block[i]);
        int done = 0;
        unsafe
        {
            fixed (short* p = buffer)
                while (done < block.Length)
                {
                    nint written = snd_pcm_writei(pcm, (nint)(p + done), (nuint)(block.Length - done));
                    if (written >= 0) { done += (int)written; continue; }
                    DeviceUnderruns++;
                    int recovered = snd_pcm_recover(pcm, (int)written, 1);
                    if (recovered < 0) throw new AudioDeviceException($"ALSA: write failed and could not recover: {Error(recovered)}.");
                }
        }
    }

    public override void Drain() => snd_pcm_drain(pcm);

    public override void Dispose()
    {
        if (pcm != 0) snd_pcm_close(pcm);
    }

    private static string Error(int code) => Marshal.PtrToStringUTF8(snd_strerror(code)) ?? $"error {code}";

    [DllImport(Library)] private static extern int snd_pcm_open(out nint pcm, string name, int stream, int mode);
    [DllImport(Library)] private static extern int snd_pcm_set_params(nint pcm, int format, int access, uint channels, uint rate, int softResample, uint latency);
    [DllImport(Library)] private static extern nint snd_pcm_writei(nint pcm, nint buffer, nuint frames);
    [DllImport(Library)] private static extern int snd_pcm_recover(nint pcm, int error, int silent);
    [DllImport(Library)] private static extern int snd_pcm_delay(nint pcm, out nint frames);
    [DllImport(Library)] private static extern int snd_pcm_drain(nint pcm);
    [DllImport(Library)] private static extern int snd_pcm_close(nint pcm);
    [DllImport(Library)] private static extern nint snd_strerror(int error);
}
