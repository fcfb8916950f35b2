using static Mamba.Audio.Streaming.AlsaPcm;

namespace Mamba.Audio.Streaming;

/// <summary>
/// Output to an ALSA device through libasound (<see cref="AlsaPcm"/>), 16-bit mono. "default" is the
/// system's default; "hw:0", "plughw:0" a card; "pulse:SINK" a PulseAudio sink through
/// libasound2-plugins. A device underrun (the card ran dry: EPIPE) is recovered and counted
/// (<see cref="DeviceUnderruns"/>), never a stop.
/// </summary>
public sealed class AlsaOutput : AudioOutput
{
    private readonly nint pcm;
    private readonly short[] buffer;

    public AlsaOutput(int sampleRate, int maxBlock, long latencySamples, string device = "default")
    {
        buffer = new short[maxBlock];
        TargetLatencySamples = Math.Max(maxBlock, latencySamples);
        pcm = Open(device, Playback, sampleRate, TargetLatencySamples);
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
}
