namespace Mamba.Audio.Service.Protocol;

/// <summary>The protocol's version and endpoint (docs/PROTOCOL.md is the whole specification).</summary>
public static class ProtocolInfo
{
    /// <summary>The version a start message carries; the server refuses any other.</summary>
    public const int Version = 1;

    /// <summary>The WebSocket endpoint's path.</summary>
    public const string Path = "/ws";
}
