using System.Runtime.Versioning;
using NAudio.CoreAudioApi;

namespace Mamba.Audio.Streaming.Wasapi;

/// <summary>
/// Output to a Windows endpoint through WASAPI in shared mode (NAudio.Wasapi's AudioClient), mono
/// 32-bit float at the chain's rate: Windows' engine converts rate and channels (AUTOCONVERTPCM), so
/// no resampler runs here. <see cref="Write"/> copies into the endpoint buffer as room appears,
/// waiting on the buffer event WASAPI signals each period, which paces the device thread as a blocking
/// PulseAudio write does. Nothing is allocated per block.
/// </summary>
[SupportedOSPlatform("windows")]
public sealed class WasapiOutput : AudioOutput
{
    private readonly MMDevice device;
    private readonly AudioClient client;
    private readonly AudioRenderClient render;
    private readonly AutoResetEvent bufferReady = new(false);
    private readonly int bufferFrames, sampleRate;
    private bool started;

    /// <param name="latencySamples">The endpoint buffer asked for; WASAPI may round it up to its period.</param>
    public WasapiOutput(int sampleRate, int maxBlock, long latencySamples, string? deviceName = null)
    {
        this.sampleRate = sampleRate;
        (device, client) = WasapiDevices.OpenShared(DataFlow.Render, deviceName, sampleRate, Math.Max(latencySamples, 2L * maxBlock), bufferReady, "play to");
        bufferFrames = client.BufferSize;
        render = client.AudioRenderClient;
        TargetLatencySamples = bufferFrames;
        Description = $"WASAPI, {device.FriendlyName} (shared mode, {bufferFrames} frames)";
    }

    public override string Description { get; }

    public override long TargetLatencySamples { get; }

    public override long LatencySamples => client.CurrentPadding;

    public override unsafe void Write(ReadOnlySpan<float> block)
    {
        int written = 0;
        while (written < block.Length)
        {
            int room = bufferFrames - client.CurrentPadding;
            if (room == 0)
            {
                if (!started) Start();   // the buffer is full before the stream runs: start it
                if (!bufferReady.WaitOne(2000)) throw new AudioDeviceException($"WASAPI: '{device.FriendlyName}' stopped taking audio for 2 s (unplugged, or taken in exclusive mode?).");
                continue;
            }
            int n = Math.Min(room, block.Length - written);
            nint buffer = render.GetBuffer(n);
            block.Slice(written, n).CopyTo(new Span<float>((void*)buffer, n));
            render.ReleaseBuffer(n, AudioClientBufferFlags.None);
            written += n;
        }
        if (!started && client.CurrentPadding >= bufferFrames / 2) Start();
    }

    private void Start()
    {
        client.Start();
        started = true;
    }

    public override void Drain()
    {
        if (!started) Start();
        var deadline = Environment.TickCount64 + 1000 + 1000L * bufferFrames / sampleRate;
        while (client.CurrentPadding > 0 && Environment.TickCount64 < deadline) bufferReady.WaitOne(50);
    }

    public override void Dispose()
    {
        if (started) client.Stop();
        client.Dispose();
        device.Dispose();
        bufferReady.Dispose();
    }
}
