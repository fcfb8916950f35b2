using System.Security.Cryptography;
using System.Text;

namespace Mamba.Audio.Service.Security;

/// <summary>
/// The access tokens and what each has used: concurrent streams and seconds of audio. Tokens are
/// compared in constant time. Without tokens (--no-token, loopback only) every client shares one
/// account, so the limits still hold.
/// </summary>
public sealed class TokenAccounts(ServiceOptions options)
{
    private readonly (byte[] Token, TokenAccount Account)[] accounts =
        [.. options.Tokens.Select((t, i) => (Encoding.UTF8.GetBytes(t), new TokenAccount($"token{i + 1}", options)))];
    private readonly TokenAccount anonymous = new("anonymous", options);

    /// <summary>The account a presented token opens, or null when it opens none.</summary>
    public TokenAccount? Find(string? presented)
    {
        if (options.NoToken) return anonymous;
        if (string.IsNullOrEmpty(presented)) return null;
        var bytes = Encoding.UTF8.GetBytes(presented);
        TokenAccount? found = null;
        foreach (var (token, account) in accounts)
            if (CryptographicOperations.FixedTimeEquals(token, bytes)) found = account;
        return found;
    }
}

/// <summary>One token's use; thread-safe.</summary>
public sealed class TokenAccount(string name, ServiceOptions options)
{
    private int streams;
    private long microseconds;

    /// <summary>A name for logs and metrics that does not reveal the token.</summary>
    public string Name { get; } = name;
    public int Streams => Volatile.Read(ref streams);
    public double SecondsUsed => Interlocked.Read(ref microseconds) / 1e6;

    /// <summary>Takes a stream, or returns why not.</summary>
    public string? TryOpenStream()
    {
        if (SecondsUsed >= options.MaxSecondsPerToken)
            return $"this token has streamed its {options.MaxSecondsPerToken:0.#} seconds.";
        if (Interlocked.Increment(ref streams) <= options.MaxStreamsPerToken) return null;
        Interlocked.Decrement(ref streams);
        return $"this token already has its {options.MaxStreamsPerToken} concurrent streams.";
    }

    public void CloseStream() => Interlocked.Decrement(ref streams);

    /// <summary>Counts audio sent; false once the token's total is spent.</summary>
    public bool Spend(double seconds) =>
        Interlocked.Add(ref microseconds, (long)(seconds * 1e6)) / 1e6 < options.MaxSecondsPerToken;

    public double SecondsLeft => Math.Max(0, options.MaxSecondsPerToken - SecondsUsed);
}
