using System.Runtime.Versioning;
using NAudio.CoreAudioApi;

namespace Mamba.Audio.Streaming.Wasapi;

/// <summary>
/// Capture from a Windows endpoint through WASAPI in shared mode, mono 32-bit float at the chain's
/// rate (Windows converts). <see cref="Read"/> blocks until the block has been recorded; a packet
/// larger than what the block still needs is kept, in a buffer made when it opens, for the next one.
/// </summary>
[SupportedOSPlatform("windows")]
public sealed class WasapiInput : IDisposable
{
    private readonly MMDevice device;
    private readonly AudioClient client;
    private readonly AudioCaptureClient capture;
    private readonly AutoResetEvent packetReady = new(false);
    private readonly float[] kept;
    private int keptStart, keptCount;

    public WasapiInput(int sampleRate, int maxBlock, long latencySamples, string? deviceName = null)
    {
        (device, client) = WasapiDevices.OpenShared(DataFlow.Capture, deviceName, sampleRate, Math.Max(latencySamples, 2L * maxBlock), packetReady, "record from");
        kept = new float[client.BufferSize];
        capture = client.AudioCaptureClient;
        client.Start();
        Description = $"WASAPI, {device.FriendlyName} (shared mode)";
    }

    public string Description { get; }

    /// <summary>Packets Windows marked as a discontinuity (samples lost because a read came late).</summary>
    public long Discontinuities { get; private set; }

    public unsafe void Read(Span<float> block)
    {
        int done = TakeKept(block);
        while (done < block.Length)
        {
            if (capture.GetNextPacketSize() == 0)
            {
                if (!packetReady.WaitOne(2000)) throw new AudioDeviceException($"WASAPI: '{device.FriendlyName}' gave no audio for 2 s (unplugged?).");
                continue;
            }
            nint data = capture.GetBuffer(out int frames, out var flags);
            if ((flags & AudioClientBufferFlags.DataDiscontinuity) != 0) Discontinuities++;
            var packet = new ReadOnlySpan<float>((void*)data, frames);
            bool silent = (flags & AudioClientBufferFlags.Silent) != 0;
            int n = Math.Min(frames, block.Length - done);
            if (silent) block.Slice(done, n).Clear(); else packet[..n].CopyTo(block[done..]);
            done += n;
            int rest = Math.Min(frames - n, kept.Length);
            if (silent) kept.AsSpan(0, rest).Clear(); else packet.Slice(n, rest).CopyTo(kept);
            (keptStart, keptCount) = (0, rest);
            capture.ReleaseBuffer(frames);
        }
    }

    private int TakeKept(Span<float> block)
    {
        int n = Math.Min(keptCount, block.Length);
        kept.AsSpan(keptStart, n).CopyTo(block);
        keptStart += n;
        keptCount -= n;
        return n;
    }

    public void Dispose()
    {
        client.Stop();
        client.Dispose();
        device.Dispose();
        packetReady.Dispose();
    }
}
