namespace Mamba.Audio.Service.Protocol;

/// <summary>
/// A message the protocol refuses: a malformed, oversized, out-of-order or unauthorised one. The
/// session answers it with an <c>error</c> message carrying <see cref="Code"/> and the message,
/// then closes the connection; the server and every other stream go on.
/// </summary>
public sealed class ProtocolException(string code, string message) : Exception(message)
{
    /// <summary>One of <see cref="ErrorCodes"/>: what a client program can switch on.</summary>
    public string Code { get; } = code;
}

/// <summary>The <c>code</c> of an error message (docs/PROTOCOL.md lists each with its meaning).</summary>
public static class ErrorCodes
{
    public const string Malformed = "malformed";
    public const string UnknownType = "unknown_type";
    public const string BadField = "bad_field";
    public const string TooLarge = "too_large";
    public const string OutOfOrder = "out_of_order";
    public const string UnknownModel = "unknown_model";
    public const string Limit = "limit";
    public const string Busy = "busy";
    public const string SlowReader = "slow_reader";
    public const string Timeout = "timeout";
    public const string Internal = "internal";
}
