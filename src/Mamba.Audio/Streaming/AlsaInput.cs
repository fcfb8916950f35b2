using static Mamba.Audio.Streaming.AlsaPcm;

namespace Mamba.Audio.Streaming;

/// <summary>
/// Capture from an ALSA device through libasound (<see cref="AlsaPcm"/>), 16-bit mono: "default", a
/// card ("plughw:0"), or "pulse:SOURCE" through libasound2-plugins. An overrun (samples lost because a
/// read came late) is recovered and counted (<see cref="Overruns"/>).
/// </summary>
public sealed class AlsaInput : IDisposable
{
    private readonly nint pcm;
    private readonly short[] buffer;

    public AlsaInput(int sampleRate, int maxBlock, long latencySamples, string device = "default")
    {
        buffer = new short[maxBlock];
        pcm = Open(device, Capture, sampleRate, Math.Max(maxBlock, latencySamples));
        Description = $"ALSA, device {device}";
    }

    public string Description { get; }

    /// <summary>Times samples were lost to a late read, and the device recovered.</summary>
    public long Overruns { get; private set; }

    /// <summary>Records <c>block.Length</c> samples (blocking) as floats (x / 32768).</summary>
    public void Read(Span<float> block)
    {
        int done = 0;
        unsafe
        {
            fixed (short* p = buffer)
                while (done < block.Length)
                {
                    nint got = snd_pcm_readi(pcm, (nint)(p + done), (nuint)(block.Length - done));
                    if (got >= 0) { done += (int)got; continue; }
                    Overruns++;
                    int recovered = snd_pcm_recover(pcm, (int)got, 1);
                    if (recovered < 0) throw new AudioDeviceException($"ALSA: capture failed and could not recover: {Error(recovered)}.");
                }
        }
        for (int i = 0; i < block.Length; i++) block[i] = buffer[i] / 32768f;
    }

    public void Dispose()
    {
        if (pcm != 0) snd_pcm_close(pcm);
    }
}
