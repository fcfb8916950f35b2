using System.Net.WebSockets;
using Mamba.Audio.Service.Protocol;

namespace Mamba.Audio.Service.Client;

/// <summary>
/// A client of the service's WebSocket protocol: connects with a token, sends client messages and
/// reads server messages one at a time. Used by `listen`, the tests and the benchmark.
/// </summary>
public sealed class StreamClient : IAsyncDisposable
{
    private readonly ClientWebSocket socket;
    private byte[] buffer = new byte[64 * 1024];

    private StreamClient(ClientWebSocket socket) => this.socket = socket;

    public WebSocketState State => socket.State;
    public WebSocketCloseStatus? CloseStatus => socket.CloseStatus;

    /// <param name="uri">ws://host:port/ws (a missing path is taken as /ws).</param>
    /// <param name="receiveBuffer">The TCP receive buffer to ask for (0 = the system's).</param>
    public static async Task<StreamClient> ConnectAsync(Uri uri, string? token, CancellationToken cancel = default, int receiveBuffer = 0)
    {
        if (uri.Scheme is not ("ws" or "wss")) throw new ArgumentException($"'{uri}' is not a ws:// or wss:// address.");
        if (uri.AbsolutePath is "" or "/") uri = new UriBuilder(uri) { Path = ProtocolInfo.Path }.Uri;
        var socket = new ClientWebSocket();
        if (token is not null) socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(10);
        if (receiveBuffer > 0)
        {
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, ct) =>
                {
                    var s = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = receiveBuffer, NoDelay = true };
                    await s.ConnectAsync(context.DnsEndPoint, ct);
                    return new System.Net.Sockets.NetworkStream(s, ownsSocket: true);
                },
            };
            await socket.ConnectAsync(uri, new HttpMessageInvoker(handler), cancel);
        }
        else await socket.ConnectAsync(uri, cancel);
        return new StreamClient(socket);
    }

    /// <summary>
    /// <see cref="ConnectAsync"/> for a command line or a chain: a connection that fails or is refused
    /// is an <see cref="IOException"/> naming the address and what to check, not a WebSocketException.
    /// </summary>
    public static async Task<StreamClient> ConnectOrExplainAsync(Uri uri, string? token, CancellationToken cancel = default)
    {
        try { return await ConnectAsync(uri, token, cancel); }
        catch (WebSocketException e)
        {
            string why = (e.InnerException is { } inner ? $"{e.Message.TrimEnd('.')} ({inner.Message.TrimEnd('.')})" : e.Message).TrimEnd('.');
            string hint = why.Contains("'401'") ? " The token is missing or wrong: give --token (or token=, or $MAMBA_AUDIO_TOKEN)."
                : why.Contains("'403'") ? " The server does not accept this origin." : "";
            throw new IOException($"cannot open a stream at {uri}: {why}.{hint}", e);
        }
    }

    public Task SendAsync(byte[] message, CancellationToken cancel = default) =>
        socket.SendAsync(message, WebSocketMessageType.Binary, true, cancel);

    public Task StartAsync(StartMessage start, CancellationToken cancel = default) => SendAsync(ClientMessageWriter.Start(start), cancel);

    /// <summary>The next server message, or null once the server closed the connection.</summary>
    public async Task<ServerMessage?> ReceiveAsync(CancellationToken cancel = default)
    {
        int length = 0;
        while (true)
        {
            if (length == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            var result = await socket.ReceiveAsync(buffer.AsMemory(length), cancel);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                if (socket.State == WebSocketState.CloseReceived)
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                return null;
            }
            length += result.Count;
            if (result.EndOfMessage) return ServerMessage.Read(buffer.AsMemory(0, length));
        }
    }

    public async Task CloseAsync()
    {
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try { await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token); }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        socket.Dispose();
    }
}
