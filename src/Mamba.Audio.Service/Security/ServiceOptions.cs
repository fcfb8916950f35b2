using System.Net;

namespace Mamba.Audio.Service.Security;

/// <summary>How a service listens, whom it lets in and how much it lets each do (docs/SERVICE.md).</summary>
public sealed record ServiceOptions
{
    /// <summary>Where Kestrel listens; 127.0.0.1 unless asked otherwise.</summary>
    public string Address { get; init; } = "127.0.0.1";
    /// <summary>0 = any free port (the bound one is <see cref="MambaService.Port"/>).</summary>
    public int Port { get; init; } = 8765;
    /// <summary>Access tokens a client may present; each has its own limits and counts.</summary>
    public IReadOnlyList<string> Tokens { get; init; } = [];
    /// <summary>Lets clients in without a token: refused unless <see cref="Address"/> is loopback.</summary>
    public bool NoToken { get; init; }
    /// <summary>Origins a browser page may connect from besides the server's own ("http://host:port").</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];
    public int MaxStreamsPerToken { get; init; } = 64;
    /// <summary>Seconds of audio one token may stream in all, over the server's life.</summary>
    public double MaxSecondsPerToken { get; init; } = 7 * 24 * 3600;
    /// <summary>The largest client message; a larger one is refused and the connection closed.</summary>
    public int MaxMessageBytes { get; init; } = 1 << 20;
    public double MaxPromptSeconds { get; init; } = 900;
    /// <summary>A connection that has not started a stream by then, or a stream paused this long, is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>WebSocket pings; a peer that answers none within the timeout (a half-open connection) is dropped.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(20);
    /// <summary>How far audio is sent ahead of the stream's real-time clock (the client's jitter buffer).</summary>
    public int LeadMilliseconds { get; init; } = 250;
    /// <summary>A client whose reading keeps its stream this far behind real time is dropped.</summary>
    public double SlowReaderSeconds { get; init; } = 5;
    /// <summary>The kernel's send buffer per connection: with the client's receive buffer, what a slow reader can hold before it is seen as slow.</summary>
    public int SocketSendBufferBytes { get; init; } = 128 * 1024;

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting that cannot work.</summary>
    public ServiceOptions Validate()
    {
        if (!IPAddress.TryParse(Address, out var address) && Address != "localhost")
            throw new ArgumentException($"address '{Address}' is not an IP address (or localhost).");
        if (Port is < 0 or > 65535) throw new ArgumentException($"port {Port} is not in 0..65535.");
        bool loopback = Address == "localhost" || IPAddress.IsLoopback(address!);
        if (NoToken && !loopback)
            throw new ArgumentException($"--no-token lets anyone stream; it is allowed only on a loopback address, not {Address}. Give --token instead.");
        if (!NoToken && Tokens.Count == 0) throw new ArgumentException("no access token: give --token (or MAMBA_AUDIO_TOKEN), or --no-token on a loopback address.");
        foreach (var token in Tokens)
            if (token.Length < 8 || token.Any(char.IsWhiteSpace))
                throw new ArgumentException("an access token needs at least 8 characters and no spaces.");
        foreach (var origin in AllowedOrigins)
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/")
                throw new ArgumentException($"allowed origin '{origin}' is not an origin such as https://example.org or http://host:8080.");
        Positive(MaxStreamsPerToken, "max streams per token");
        Positive(MaxSecondsPerToken, "max seconds per token");
        if (MaxMessageBytes < 1024) throw new ArgumentException($"max message bytes {MaxMessageBytes}: at least 1024.");
        Positive(MaxPromptSeconds, "max prompt seconds");
        Positive(IdleTimeout.TotalSeconds, "idle timeout");
        Positive(KeepAliveInterval.TotalSeconds, "keep-alive interval");
        Positive(KeepAliveTimeout.TotalSeconds, "keep-alive timeout");
        if (LeadMilliseconds is < 0 or > 10_000) throw new ArgumentException($"lead {LeadMilliseconds} ms is not in 0..10000.");
        Positive(SlowReaderSeconds, "slow-reader seconds");
        if (SocketSendBufferBytes < 4096) throw new ArgumentException($"socket send buffer {SocketSendBufferBytes}: at least 4096 bytes.");
        return this;
    }

    private static void Positive(double value, string what)
    {
        if (!(value > 0) || double.IsInfinity(value)) throw new ArgumentException($"{what} must be a positive number, not {value}.");
    }
}
