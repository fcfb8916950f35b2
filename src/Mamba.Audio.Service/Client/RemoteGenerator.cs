using Mamba.Audio.Files;
using Mamba.Audio.Plugins;
using Mamba.Audio.Service.Protocol;
using Mamba.Audio.Streaming;

namespace Mamba.Audio.Service.Client;

/// <summary>What a remote stream asks the server for.</summary>
public sealed record RemoteRequest(Uri Uri, string? Token, string? Model, float Temperature, float TopP, ulong? Seed, double? Seconds);

/// <summary>
/// A chain generator that plays a stream of a `serve` instance (`remote url=ws://...`, and what
/// `listen` plays): it connects and starts the stream when the chain is prepared (never on the audio
/// path), asking the server for the chain's rate, and a receive task fills a ring of 2 s from which
/// <see cref="Generate"/> reads. Audio the network has not delivered in time is silence, counted in
/// <see cref="UnderrunSamples"/>; the server's error, if any, is kept in <see cref="ServerError"/>
/// and ends the generator.
/// </summary>
public sealed class RemoteGenerator(RemoteRequest request) : Generator("remote", [])
{
    private StreamClient? client;
    private Task? receiving;
    private SampleRing? ring;
    private volatile bool serverDone;
    private long underruns;

    public StartedInfo? Started { get; private set; }
    public string? ServerError { get; private set; }
    public long UnderrunSamples => Interlocked.Read(ref underruns);
    public long LateBlocksAtServer { get; private set; }

    public override bool Ended => serverDone && ring!.Count == 0;

    protected override void OnPrepare(StreamFormat format)
    {
        ring = new SampleRing(format.SampleRate * 2);
        client = StreamClient.ConnectOrExplainAsync(request.Uri, request.Token).GetAwaiter().GetResult();
        client.StartAsync(new StartMessage(ProtocolInfo.Version, request.Model, request.Temperature, request.TopP, request.Seed,
            format.SampleRate, Math.Clamp(format.MaxBlock, ClientMessageReader.MinBlock, ClientMessageReader.MaxBlock), AudioEncoding.Pcm16, request.Seconds)).GetAwaiter().GetResult();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        switch (client.ReceiveAsync(timeout.Token).GetAwaiter().GetResult())
        {
            case StartedMessage started: Started = started.Info; break;
            case ErrorMessage error: throw new IOException($"{request.Uri} refused the stream ({error.Code}): {error.Message}");
            case var other: throw new IOException($"{request.Uri} answered start with {other?.GetType().Name ?? "a closed connection"}.");
        }
        receiving = Task.Run(ReceiveAsync);
    }

    private async Task ReceiveAsync()
    {
        var samples = new float[ClientMessageReader.MaxBlock];
        try
        {
            while (await client!.ReceiveAsync() is { } message)
            {
                switch (message)
                {
                    case AudioMessage audio:
                        int n = audio.Data.Length / 2;
                        if (n > samples.Length)
                        {
                            ServerError = $"the server sent a block of {n} samples; the protocol's blocks hold at most {samples.Length}.";
                            return;
                        }
                        Pcm16WavWriter.FromPcm16(audio.Data, samples);
                        int done = 0;
                        // The server paces to real time, so the ring fills only if the device stalls: then wait rather than drop.
                        while (done < n && !serverDone)
                        {
                            done += ring!.Write(samples.AsSpan(done, n - done));
                            arrived.Set();
                            if (done < n) await Task.Delay(5);
                        }
                        break;
                    case StatsMessage stats: LateBlocksAtServer = stats.Stats.LateBlocks; break;
                    case ErrorMessage error: ServerError = $"{error.Code}: {error.Message}"; break;
                }
            }
        }
        catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or ProtocolException)
        {
            ServerError ??= e.Message;
        }
        finally
        {
            serverDone = true;
            arrived.Set();
        }
    }

    /// <summary>
    /// Runs on the host's generator thread, ahead of the device (never on the device's callback), so
    /// it may wait for the network as a model waits for its step: up to <see cref="WaitLimit"/>, then
    /// what has not come is silence and counted.
    /// </summary>
    public override void Generate(Span<float> output)
    {
        int n = 0;
        long start = Environment.TickCount64;
        while (true)
        {
            arrived.Reset();   // before reading: a block written after the read sets it again, so no arrival is missed
            n += ring!.Read(output[n..]);
            if (n == output.Length || serverDone && ring.Count == 0) break;
            if (Environment.TickCount64 - start > WaitLimit.TotalMilliseconds)
            {
                Interlocked.Add(ref underruns, output.Length - n);
                break;
            }
            arrived.Wait(10);
        }
        output[n..].Clear();
    }

    public static TimeSpan WaitLimit { get; } = TimeSpan.FromSeconds(1);
    private readonly ManualResetEventSlim arrived = new(false);

    public override void Dispose()
    {
        serverDone = true;
        if (client is not null)
        {
            client.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(3));
            receiving?.Wait(TimeSpan.FromSeconds(3));
        }
    }
}
