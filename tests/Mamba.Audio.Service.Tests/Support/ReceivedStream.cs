using System.Diagnostics;
using Mamba.Audio.Service.Client;
using Mamba.Audio.Service.Protocol;

namespace Mamba.Audio.Service.Tests.Support;

/// <summary>Everything one client received, read to the end of the connection, with each audio block's arrival time.</summary>
public sealed class ReceivedStream
{
    public StartedInfo? Started { get; private set; }
    public List<AudioMessage> Blocks { get; } = [];
    public List<double> Arrivals { get; } = [];
    public List<StreamStats> Stats { get; } = [];
    public List<ErrorMessage> Errors { get; } = [];
    public StoppedMessage? Stopped { get; private set; }
    public List<string> Problems { get; } = [];

    public byte[] Audio => [.. Blocks.SelectMany(b => b.Data)];

    public static async Task<ReceivedStream> ReadAsync(StreamClient client, TimeSpan limit)
    {
        var received = new ReceivedStream();
        using var timeout = new CancellationTokenSource(limit);
        var clock = Stopwatch.StartNew();
        try
        {
            while (await client.ReceiveAsync(timeout.Token) is { } message)
            {
                switch (message)
                {
                    case StartedMessage s: received.Started = s.Info; break;
                    case AudioMessage a:
                        if (a.Sequence != received.Blocks.Count) received.Problems.Add($"block {received.Blocks.Count} arrived with seq {a.Sequence}");
                        received.Blocks.Add(a);
                        received.Arrivals.Add(clock.Elapsed.TotalSeconds);
                        break;
                    case StatsMessage s: received.Stats.Add(s.Stats); break;
                    case ErrorMessage e: received.Errors.Add(e); break;
                    case StoppedMessage s: received.Stopped = s; break;
                    case UnknownServerMessage u: received.Problems.Add($"unknown message type {u.Type}"); break;
                }
            }
        }
        catch (OperationCanceledException) { received.Problems.Add($"still open after {limit.TotalSeconds} s"); }
        catch (System.Net.WebSockets.WebSocketException e) { received.Problems.Add($"connection failed: {e.Message}"); }
        return received;
    }
}
