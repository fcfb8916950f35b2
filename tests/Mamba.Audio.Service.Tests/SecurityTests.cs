using System.Net;
using System.Net.WebSockets;
using Mamba.Audio.Service.Client;
using Mamba.Audio.Service.Protocol;
using Mamba.Audio.Service.Tests.Support;

namespace Mamba.Audio.Service.Tests;

/// <summary>Who gets in and how much each may do: tokens, origins, limits, sizes, timeouts and slow readers, against a real server.</summary>
public class SecurityTests(ITestOutputHelper output)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static StartMessage Start(double? seconds = 2, ulong seed = 1) =>
        new(ProtocolInfo.Version, null, 1f, 1f, seed, null, 256, AudioEncoding.Pcm16, seconds);

    [Fact]
    public async Task AMissingOrWrongToken_IsRefusedBeforeTheUpgrade()
    {
        await using var server = await TestService.StartAsync();
        using var http = new HttpClient();
        var missing = await Assert.ThrowsAsync<WebSocketException>(() => server.ConnectAsync(token: null));
        Assert.Contains("401", missing.Message);
        var wrong = await Assert.ThrowsAsync<WebSocketException>(() => server.ConnectAsync(token: "wrong-token-999"));
        Assert.Contains("401", wrong.Message);
        var response = await http.GetAsync(new Uri(server.HttpUri, "ws?token=" + TestService.Token), Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);   // a plain GET is not a WebSocket request
        var metrics = await http.GetStringAsync(new Uri(server.HttpUri, "metrics"), Cancel);
        Assert.Contains("mamba_audio_rejected_connections_total{reason=\"token\"} 2", metrics);
        await using var good = await server.ConnectAsync();
        await good.StartAsync(Start(0.2), Cancel);
        var stream = await ReceivedStream.ReadAsync(good, TimeSpan.FromSeconds(20));
        Assert.Empty(stream.Errors);
        Assert.Equal("duration", stream.Stopped?.Reason);
    }

    [Fact]
    public async Task APageFromAnotherOrigin_IsRefused_TheServersOwnAndAllowedOnesPass()
    {
        await using var server = await TestService.StartAsync(o => o with { AllowedOrigins = ["https://studio.example.org"] });
        async Task<int> Upgrade(string origin)
        {
            using var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", "Bearer " + TestService.Token);
            socket.Options.SetRequestHeader("Origin", origin);
            socket.Options.CollectHttpResponseDetails = true;
            try { await socket.ConnectAsync(server.WebSocketUri, Cancel); return (int)socket.HttpStatusCode; }
            catch (WebSocketException) { return (int)socket.HttpStatusCode; }
        }
        Assert.Equal(403, await Upgrade("https://evil.example.com"));
        Assert.Equal(101, await Upgrade($"http://127.0.0.1:{server.Service.Port}"));
        Assert.Equal(101, await Upgrade("https://studio.example.org"));
    }

    [Fact]
    public async Task PerTokenLimits_StreamsAndSeconds_AreEnforced()
    {
        await using var server = await TestService.StartAsync(o => o with { MaxStreamsPerToken = 2, MaxSecondsPerToken = 3 });
        await using var a = await server.ConnectAsync();
        await using var b = await server.ConnectAsync();
        await using var c = await server.ConnectAsync();
        await a.StartAsync(Start(null), Cancel);
        await b.StartAsync(Start(null), Cancel);
        await Task.Delay(200, Cancel);
        await c.StartAsync(Start(1), Cancel);
        var third = await ReceivedStream.ReadAsync(c, TimeSpan.FromSeconds(10));
        Assert.Equal(ErrorCodes.Limit, Assert.Single(third.Errors).Code);
        Assert.Contains("2 concurrent streams", third.Errors[0].Message);
        // a and b share the token's 3 seconds: both end with the limit error once it is spent.
        var first = ReceivedStream.ReadAsync(a, TimeSpan.FromSeconds(20));
        var second = ReceivedStream.ReadAsync(b, TimeSpan.FromSeconds(20));
        foreach (var s in await Task.WhenAll(first, second))
        {
            Assert.Equal(ErrorCodes.Limit, Assert.Single(s.Errors).Code);
            Assert.Contains("seconds", s.Errors[0].Message);
        }
        double sent = (await first).Blocks.Count + (await second).Blocks.Count;
        Assert.InRange(sent * 256 / server.SampleRate, 3, 3.2);
    }

    [Fact]
    public async Task AnOversizedMessage_IsRefusedAndClosed()
    {
        await using var server = await TestService.StartAsync(o => o with { MaxMessageBytes = 4096 });
        await using var client = await server.ConnectAsync();
        await client.SendAsync(ClientMessageWriter.Prompt(new PromptMessage(AudioEncoding.Pcm16, 8000, new byte[8000])), Cancel);
        var s = await ReceivedStream.ReadAsync(client, TimeSpan.FromSeconds(10));
        Assert.Equal(ErrorCodes.TooLarge, Assert.Single(s.Errors).Code);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, client.CloseStatus);
    }

    [Fact]
    public async Task OutOfOrderMessages_AreRefused()
    {
        await using var server = await TestService.StartAsync();
        foreach (var (first, second, says) in new (byte[], byte[]?, string)[]
        {
            (ClientMessageWriter.Set(0.5f, null), null, "send start first"),
            (ClientMessageWriter.Bare("pause"), null, "running stream"),
            (ClientMessageWriter.Start(Start(5)), ClientMessageWriter.Start(Start(5)), "one start per connection"),
            (ClientMessageWriter.Start(Start(5)), ClientMessageWriter.Prompt(new PromptMessage(AudioEncoding.MuLaw, 8000, [1, 2])), "before start"),
        })
        {
            await using var client = await server.ConnectAsync();
            await client.SendAsync(first, Cancel);
            if (second is not null) await client.SendAsync(second, Cancel);
            var s = await ReceivedStream.ReadAsync(client, TimeSpan.FromSeconds(10));
            var error = Assert.Single(s.Errors);
            Assert.Equal(ErrorCodes.OutOfOrder, error.Code);
            Assert.Contains(says, error.Message);
        }
    }

    [Fact]
    public async Task AnIdleConnection_AndAHalfOpenOne_AreClosed()
    {
        await using var server = await TestService.StartAsync(o => o with { IdleTimeout = TimeSpan.FromSeconds(1) });
        await using var idle = await server.ConnectAsync();
        var s = await ReceivedStream.ReadAsync(idle, TimeSpan.FromSeconds(10));
        Assert.Equal(ErrorCodes.Timeout, Assert.Single(s.Errors).Code);

        // Half-open: a TCP peer that sends half an HTTP request and nothing more is cut by Kestrel's header timeout.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Service.Port, Cancel);
        var stream = tcp.GetStream();
        await stream.WriteAsync("GET /ws HTTP/1.1\r\nHost: x\r\n"u8.ToArray(), Cancel);
        var buffer = new byte[256];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int n;
        try { while ((n = await stream.ReadAsync(buffer, Cancel)) > 0) { } }
        catch (IOException) { }
        output.WriteLine($"a half-open request was closed after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.InRange(clock.Elapsed.TotalSeconds, 0, 40);
    }

    [Fact]
    public async Task ASlowReader_IsDropped_WithoutHoldingTheServer()
    {
        await using var server = await TestService.StartAsync(o => o with { SlowReaderSeconds = 1, SocketSendBufferBytes = 8192 });
        var client = await server.ConnectAsync(receiveBuffer: 4096);
        await client.StartAsync(Start(null), Cancel);
        // Read nothing: the server's sends block once the socket buffers are full, the stream falls behind real time, and it is dropped.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var batch = server.Service.Models.Find(null)!;
        while (clock.Elapsed < TimeSpan.FromSeconds(40) && (batch.StreamCount > 0 || clock.Elapsed < TimeSpan.FromSeconds(1))) await Task.Delay(100, Cancel);
        output.WriteLine($"the slow reader was dropped after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(0, batch.StreamCount);
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri(server.HttpUri, "metrics"), Cancel);
        output.WriteLine(string.Join("\n", metrics.Split("\n").Where(l => l.StartsWith("mamba_audio_protocol") || l.StartsWith("mamba_audio_underruns") || l.StartsWith("mamba_audio_sent"))));
        Assert.Contains("mamba_audio_protocol_errors_total{code=\"slow_reader\"} 1", metrics);
        await client.DisposeAsync();
        // And the server serves the next client as before.
        await using var next = await server.ConnectAsync();
        await next.StartAsync(Start(0.3), Cancel);
        Assert.Equal("duration", (await ReceivedStream.ReadAsync(next, TimeSpan.FromSeconds(10))).Stopped?.Reason);
    }
}
