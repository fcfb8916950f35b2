using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using Mamba.Audio.Service.Batching;
using Mamba.Audio.Service.Metrics;
using Mamba.Audio.Service.Protocol;
using Mamba.Audio.Service.Security;
using Mamba.Core.Sampling;

namespace Mamba.Audio.Service.Sessions;

/// <summary>
/// One WebSocket connection: reads the client's messages (prompt pieces, one start, then set, pause,
/// resume, stop) and, once started, sends the stream's audio paced to real time, up to
/// <see cref="ServiceOptions.LeadMilliseconds"/> ahead, with a stats message every second. Any
/// message the protocol refuses is answered with an error message and the connection is closed; the
/// stream leaves its batch and the other streams go on. Timeouts: no start within the idle timeout,
/// a pause longer than it, and a client that stays <see cref="ServiceOptions.SlowReaderSeconds"/>
/// behind real time (it reads too slowly) end the connection with an error too.
/// </summary>
public sealed class StreamSession(WebSocket socket, TokenAccount account, ModelCatalog models, ServiceOptions options, ServiceMetrics metrics)
{
    private static long nextId;
    private readonly SemaphoreSlim sendLock = new(1, 1);
    private readonly ArrayBufferWriter<byte> control = new(256);
    private readonly CancellationTokenSource closing = new();     // ends the receive loop (after a grace for the close handshake)
    private readonly CancellationTokenSource senderStop = new();  // ends the sender at once
    private readonly string id = $"s{Interlocked.Increment(ref nextId)}";
    private PromptBuilder? prompt;
    private BatchStream? stream;
    private Task? sender;
    private bool accountHeld;
    private long lastMessage = Stopwatch.GetTimestamp();
    private long pausedAt;   // when the stream was paused (BatchStream.Paused says whether it is)

    public async Task RunAsync(CancellationToken serverStopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(serverStopping, closing.Token);
        var watchdog = WatchIdleAsync(linked.Token);
        try
        {
            await ReceiveLoopAsync(linked.Token);
        }
        catch (ProtocolException e)
        {
            await FailAsync(e.Code, e.Message);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The peer went away, aborted, or the server is stopping: nothing to answer.
        }
        finally
        {
            senderStop.Cancel();
            closing.Cancel();
            if (sender is not null) await sender.ContinueWith(_ => { });
            await watchdog.ContinueWith(_ => { });
            stream?.Leave();
            if (accountHeld) account.CloseStream();
        }
    }

    // ---- receiving ----

    private async Task ReceiveLoopAsync(CancellationToken cancel)
    {
        var buffer = new byte[Math.Min(options.MaxMessageBytes, 16 * 1024)];
        while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            int length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= options.MaxMessageBytes)
                        throw new ProtocolException(ErrorCodes.TooLarge, $"a message may be at most {options.MaxMessageBytes} bytes; this one is longer.");
                    Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, options.MaxMessageBytes));
                }
                result = await socket.ReceiveAsync(buffer.AsMemory(length), cancel);
                length += result.Count;
            } while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                await CloseAsync(WebSocketCloseStatus.NormalClosure, "bye");
                return;
            }
            if (socket.State == WebSocketState.CloseSent) continue;   // the server is closing: only the client's close matters now
            if (result.MessageType != WebSocketMessageType.Binary)
                throw new ProtocolException(ErrorCodes.Malformed, "messages are binary MessagePack frames; a text frame was sent.");
            Interlocked.Exchange(ref lastMessage, Stopwatch.GetTimestamp());
            var message = ClientMessageReader.Read(buffer.AsMemory(0, length));
            await HandleAsync(message);
        }
    }

    /// <summary>Acts on one message.</summary>
    private async Task HandleAsync(ClientMessage message)
    {
        switch (message)
        {
            case PromptMessage piece:
                if (stream is not null) throw OutOfOrder("prompt pieces come before start.");
                var target = models.Find(null)!;
                (prompt ??= new PromptBuilder(target.SampleRate, options.MaxPromptSeconds)).Add(piece);
                return;
            case StartMessage start:
                if (stream is not null) throw OutOfOrder("the stream has started; one start per connection.");
                await StartAsync(start);
                return;
            case SetMessage set:
                if (stream is null) throw OutOfOrder("set changes a running stream; send start first.");
                current = current with { Temperature = set.Temperature ?? current.Temperature, TopP = set.TopP ?? current.TopP };
                stream.SetSampling(current);
                return;
            case PauseMessage:
                if (stream is null) throw OutOfOrder("pause needs a running stream.");
                if (!stream.Paused)
                {
                    Volatile.Write(ref pausedAt, Stopwatch.GetTimestamp());
                    stream.Pause(true);
                }
                return;
            case ResumeMessage:
                if (stream is null) throw OutOfOrder("resume needs a running stream.");
                if (stream.Paused)
                {
                    stream.Pause(false);
                    if (resumed.CurrentCount == 0) resumed.Release();
                }
                return;
            case StopMessage:
                if (stream is null) throw OutOfOrder("stop needs a running stream.");
                senderStop.Cancel();
                if (sender is not null) await sender.ContinueWith(_ => { });
                await EndAsync(w => ServerMessageWriter.Stopped(w, "client", sentBlocks), WebSocketCloseStatus.NormalClosure, "stopped");
                return;
            default:
                throw new ProtocolException(ErrorCodes.UnknownType, "unhandled message.");
        }
    }

    private SamplingSettings current;
    private readonly SemaphoreSlim resumed = new(0, 1);

    private static ProtocolException OutOfOrder(string why) => new(ErrorCodes.OutOfOrder, why);

    private async Task StartAsync(StartMessage start)
    {
        var batch = models.Find(start.Model)
            ?? throw new ProtocolException(ErrorCodes.UnknownModel, $"no model \"{AudioEncodings.Truncate(start.Model ?? "")}\"; this server has {string.Join(", ", models.Names)}.");
        if (prompt is not null && batch.SampleRate != models.Find(null)!.SampleRate)
            throw new ProtocolException(ErrorCodes.BadField, "the prompt was read at the first model's rate; send it on a connection to a model of that rate.");
        int outputRate = start.SampleRate ?? batch.SampleRate;
        var encoder = new BlockEncoder(start.Encoding, batch.SampleRate, outputRate, start.Block);
        if (account.TryOpenStream() is { } refusal) throw new ProtocolException(ErrorCodes.Limit, refusal);
        accountHeld = true;
        // A drawn seed stays below 2^53 so a browser page (JavaScript numbers) shows and replays it exactly.
        ulong seed = start.Seed ?? (ulong)Random.Shared.NextInt64(1L << 53);
        current = new SamplingSettings(start.Temperature, start.TopP, seed);
        long total = start.Seconds is { } s ? Math.Max(1, (long)Math.Round(s * batch.SampleRate)) : long.MaxValue;
        int modelBlock = (int)Math.Ceiling((double)start.Block * batch.SampleRate / outputRate);
        int ring = Math.Max(2 * modelBlock, 4 * batch.Chunk) + batch.Chunk;
        var classes = prompt?.Finish();
        stream = batch.TryJoin(new StreamRequest(current, classes, total, ring))
            ?? throw new ProtocolException(ErrorCodes.Busy, $"model {batch.Name} is serving its {batch.Slots} streams; try again later.");
        var info = new StartedInfo(id, batch.Name, batch.SampleRate, outputRate, start.Block, start.Encoding, seed, options.LeadMilliseconds, classes?.Length ?? 0);
        await SendControlAsync(w => ServerMessageWriter.Started(w, info));
        long started = Stopwatch.GetTimestamp();
        sender = Task.Run(() => SendLoopAsync(stream, encoder, outputRate, started, senderStop.Token));
    }

    // ---- sending ----

    private long sentBlocks;

    private async Task SendLoopAsync(BatchStream s, BlockEncoder encoder, int outputRate, long startedAt, CancellationToken cancel)
    {
        var active = metrics.ActiveStreams.WithLabels(s.Batch.Name);
        active.Inc();
        try
        {
            var audio = new ArrayBufferWriter<byte>(encoder.BlockBytes + 32);
            var block = new byte[encoder.BlockBytes];
            var classes = new byte[BlockEncoder.MaxFeed];
            double blockSeconds = (double)encoder.Block / outputRate, lead = options.LeadMilliseconds / 1000.0;
            long clock = 0;                // when block 0 is needed (set when the first classes arrive)
            long late = 0, samplesSent = 0;
            long statsAt = Stopwatch.GetTimestamp(), statsGenerated = 0;
            bool ended = false;
            while (!cancel.IsCancellationRequested)
            {
                if (s.Paused)
                {
                    while (s.Paused) await resumed.WaitAsync(TimeSpan.FromMilliseconds(250), cancel);
                    // The client's buffer ran down while paused: the schedule starts again from now.
                    if (clock != 0) clock = Stopwatch.GetTimestamp() - (long)(sentBlocks * blockSeconds * Stopwatch.Frequency);
                    continue;
                }
                // Fill one block; waiting here is waiting on generation (or the prompt).
                double waited = 0;
                while (!encoder.HasBlock && !ended && !s.Paused)
                {
                    int n = s.Read(classes.AsSpan(0, encoder.ClassesWanted));
                    if (n > 0) { encoder.Feed(classes.AsSpan(0, n)); continue; }
                    if (s.Finished && s.Ring.Count == 0)
                    {
                        if (s.Failure is { } failure) throw new ProtocolException(ErrorCodes.Internal, $"the model's engine failed: {failure}");
                        encoder.Finish();
                        ended = true;
                        break;
                    }
                    long w0 = Stopwatch.GetTimestamp();
                    await s.WaitAsync(TimeSpan.FromMilliseconds(250), cancel);
                    waited += Stopwatch.GetElapsedTime(w0).TotalSeconds;
                    if (Stopwatch.GetTimestamp() - statsAt > Stopwatch.Frequency) { await SendStatsAsync(s, late, samplesSent, outputRate, clock, ref statsAt, ref statsGenerated); }
                }
                if (s.Paused) continue;
                if (ended && !encoder.HasBlock)
                {
                    int tail = encoder.Take(block, partial: true);
                    if (tail > 0) await SendAudioAsync(audio, block.AsMemory(0, tail), cancel);
                    await EndAsync(w => ServerMessageWriter.Stopped(w, "duration", sentBlocks), WebSocketCloseStatus.NormalClosure, "done");
                    return;
                }
                long now = Stopwatch.GetTimestamp();
                if (clock == 0)
                {
                    clock = now;
                    metrics.FirstBlockSeconds.Observe(Stopwatch.GetElapsedTime(startedAt).TotalSeconds);
                }
                long needed = clock + (long)(sentBlocks * blockSeconds * Stopwatch.Frequency);
                double behind = (double)(now - needed) / Stopwatch.Frequency;
                if (behind > 0 && waited > 0 && sentBlocks > 0)
                {
                    // Generation was late: the client ran out; count it and let the schedule slide, so lateness does not add up.
                    late++;
                    metrics.LateBlocks.Inc();
                    clock += now - needed;
                    behind = 0;
                }
                if (behind > options.SlowReaderSeconds)
                    throw new ProtocolException(ErrorCodes.SlowReader, $"the client reads too slowly: its stream is {behind:0.0} s behind real time (limit {options.SlowReaderSeconds:0.#} s).");
                long due = needed - (long)(lead * Stopwatch.Frequency);
                if (due > now) await Task.Delay(TimeSpan.FromSeconds((double)(due - now) / Stopwatch.Frequency), cancel);

                int bytes = encoder.Take(block);
                await SendAudioAsync(audio, block.AsMemory(0, bytes), cancel);
                samplesSent += encoder.Block;
                if (!account.Spend(blockSeconds))
                    throw new ProtocolException(ErrorCodes.Limit, "this token has streamed all the seconds it may; the stream ends.");
                if (Stopwatch.GetTimestamp() - statsAt > Stopwatch.Frequency) await SendStatsAsync(s, late, samplesSent, outputRate, clock, ref statsAt, ref statsGenerated);
            }
        }
        catch (ProtocolException e)
        {
            await FailAsync(e.Code, e.Message);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Stopped, or the connection is gone.
        }
        finally
        {
            active.Dec();
        }
    }

    private Task SendStatsAsync(BatchStream s, long late, long samplesSent, int outputRate, long clock, ref long statsAt, ref long statsGenerated)
    {
        long now = Stopwatch.GetTimestamp();
        double period = (double)(now - statsAt) / Stopwatch.Frequency;
        long generated = s.Generated;
        double rtf = (generated - statsGenerated) / (double)s.Batch.SampleRate / period;
        double leadMs = clock == 0 ? 0 : (samplesSent / (double)outputRate - (double)(now - clock) / Stopwatch.Frequency) * 1000;
        statsAt = now;
        statsGenerated = generated;
        var stats = new StreamStats(sentBlocks, samplesSent, leadMs, late, rtf, s.Batch.StreamCount, s.Paused, s.PromptLeft);
        return SendControlAsync(w => ServerMessageWriter.Stats(w, stats));
    }

    private async Task SendAudioAsync(ArrayBufferWriter<byte> audio, ReadOnlyMemory<byte> data, CancellationToken cancel)
    {
        await sendLock.WaitAsync(cancel);
        try
        {
            if (socket.State != WebSocketState.Open) throw new OperationCanceledException("the connection is closing.");
            audio.ResetWrittenCount();
            ServerMessageWriter.Audio(audio, sentBlocks, data.Span);
            // A send that does not complete within the slow-reader limit means the socket buffers are full: the client is not reading.
            // (The timeout aborts the socket, which ends the receive side too; its own token says it was the cause.)
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(options.SlowReaderSeconds));
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancel, limit.Token);
            try { await socket.SendAsync(audio.WrittenMemory, WebSocketMessageType.Binary, true, either.Token); }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException && limit.IsCancellationRequested)
            {
                throw new ProtocolException(ErrorCodes.SlowReader, $"the client reads too slowly: one block could not be sent in {options.SlowReaderSeconds:0.#} s.");
            }
            sentBlocks++;
            metrics.SentBlocks.Inc();
        }
        finally { sendLock.Release(); }
    }

    private async Task SendControlAsync(Action<ArrayBufferWriter<byte>> write)
    {
        await sendLock.WaitAsync();
        try
        {
            if (socket.State != WebSocketState.Open) return;
            control.ResetWrittenCount();
            write(control);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await socket.SendAsync(control.WrittenMemory, WebSocketMessageType.Binary, true, timeout.Token);
        }
        finally { sendLock.Release(); }
    }

    /// <summary>Answers with an error message and closes; the stream leaves its batch.</summary>
    private Task FailAsync(string code, string message)
    {
        metrics.ProtocolErrors.WithLabels(code).Inc();
        senderStop.Cancel();
        return EndAsync(w => ServerMessageWriter.Error(w, code, message),
            code == ErrorCodes.TooLarge ? WebSocketCloseStatus.MessageTooBig : WebSocketCloseStatus.PolicyViolation, code);
    }

    /// <summary>
    /// A last message, then the close handshake: the receive loop waits up to two seconds for the
    /// client's close (so it reads everything first) before the connection is cut.
    /// </summary>
    private async Task EndAsync(Action<ArrayBufferWriter<byte>> last, WebSocketCloseStatus status, string reason)
    {
        try
        {
            await SendControlAsync(last);
            await CloseAsync(status, reason);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException or InvalidOperationException) { }
        finally
        {
            try { closing.CancelAfter(TimeSpan.FromSeconds(2)); } catch (ObjectDisposedException) { }
        }
    }

    private async Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await socket.CloseOutputAsync(status, reason, timeout.Token); }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException) { socket.Abort(); }
    }

    /// <summary>Closes a connection that has not started in the idle timeout, or whose stream stayed paused that long.</summary>
    private async Task WatchIdleAsync(CancellationToken cancel)
    {
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, options.IdleTimeout.TotalMilliseconds / 4)), cancel);
                var idle = options.IdleTimeout;
                if (stream is null && Stopwatch.GetElapsedTime(Interlocked.Read(ref lastMessage)) > idle)
                {
                    await FailAsync(ErrorCodes.Timeout, $"no start message in {idle.TotalSeconds:0.#} s.");
                    return;
                }
                if (stream is { Paused: true } && Stopwatch.GetElapsedTime(Volatile.Read(ref pausedAt)) > idle)
                {
                    await FailAsync(ErrorCodes.Timeout, $"the stream stayed paused for {idle.TotalSeconds:0.#} s.");
                    return;
                }
            }
        }
        catch (OperationCanceledException) { }
    }
}
