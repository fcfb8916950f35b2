namespace Mamba.Audio.Service.Protocol;

/// <summary>A message from a client, decoded and checked field by field (<see cref="ClientMessageReader"/>).</summary>
public abstract record ClientMessage;

/// <summary>Starts the connection's stream. Every field but type and version is optional.</summary>
/// <param name="Model">A loaded model's name; null = the server's first.</param>
/// <param name="Seed">null = a seed the server draws (and reports in started).</param>
/// <param name="SampleRate">Output rate; null = the model's own. Another rate is resampled on the server.</param>
/// <param name="Block">Samples per audio message at the output rate.</param>
/// <param name="Seconds">Stop after this much audio; null = until stop or the token's limit.</param>
public sealed record StartMessage(
    int Version, string? Model, float Temperature, float TopP, ulong? Seed,
    int? SampleRate, int Block, AudioEncoding Encoding, double? Seconds) : ClientMessage;

/// <summary>A piece of prompt audio, sent before start; the pieces are joined in order.</summary>
public sealed record PromptMessage(AudioEncoding Encoding, int SampleRate, byte[] Data) : ClientMessage;

/// <summary>Changes the running stream's sampling; an absent field keeps its value.</summary>
public sealed record SetMessage(float? Temperature, float? TopP) : ClientMessage;

public sealed record PauseMessage : ClientMessage;
public sealed record ResumeMessage : ClientMessage;
public sealed record StopMessage : ClientMessage;
