using System.Buffers;
using MessagePack;

namespace Mamba.Audio.Service.Protocol;

/// <summary>A message from the server, as a client reads it.</summary>
public abstract record ServerMessage
{
    /// <summary>Decodes a server message; fields a newer server adds are skipped.</summary>
    /// <exception cref="ProtocolException">Not a server message of this protocol.</exception>
    public static ServerMessage Read(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            var reader = new MessagePackReader(bytes);
            int count = reader.ReadMapHeader();
            var values = new Dictionary<string, object?>(count, StringComparer.Ordinal);
            for (int i = 0; i < count; i++)
            {
                string key = reader.ReadString() ?? "";
                values[key] = reader.NextMessagePackType switch
                {
                    MessagePackType.Integer => reader.ReadInt64(),
                    MessagePackType.Float => reader.ReadDouble(),
                    MessagePackType.String => reader.ReadString(),
                    MessagePackType.Binary => reader.ReadBytes()!.Value.ToArray(),
                    MessagePackType.Boolean => reader.ReadBoolean(),
                    _ => Skip(ref reader),
                };
            }
            string type = values.GetValueOrDefault("type") as string ?? throw new ProtocolException(ErrorCodes.Malformed, "a server message without a type.");
            long L(string k) => values.GetValueOrDefault(k) is long n ? n : 0;
            double D(string k) => values.GetValueOrDefault(k) switch { long n => n, double d => d, _ => 0 };
            string S(string k) => values.GetValueOrDefault(k) as string ?? "";
            return type switch
            {
                "started" => new StartedMessage(new StartedInfo(S("stream"), S("model"), (int)L("model_rate"), (int)L("sample_rate"), (int)L("block"),
                    AudioEncodings.Parse(S("encoding"), "encoding"), (ulong)L("seed"), (int)L("lead_ms"), L("prompt_samples"))),
                "audio" => new AudioMessage(L("seq"), values.GetValueOrDefault("data") as byte[] ?? []),
                "stats" => new StatsMessage(new StreamStats(L("seq"), L("samples"), D("lead_ms"), L("late_blocks"), D("rtf"), (int)L("batch_streams"),
                    values.GetValueOrDefault("paused") is true, L("prompt_left"))),
                "stopped" => new StoppedMessage(S("reason"), L("blocks")),
                "error" => new ErrorMessage(S("code"), S("message")),
                _ => new UnknownServerMessage(type),
            };
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or InvalidCastException)
        {
            throw new ProtocolException(ErrorCodes.Malformed, $"the server sent a message that is not of this protocol: {e.Message}");
        }
    }

    private static object? Skip(ref MessagePackReader reader)
    {
        reader.Skip();
        return null;
    }
}

public sealed record StartedMessage(StartedInfo Info) : ServerMessage;
public sealed record AudioMessage(long Sequence, byte[] Data) : ServerMessage;
public sealed record StatsMessage(StreamStats Stats) : ServerMessage;
public sealed record StoppedMessage(string Reason, long Blocks) : ServerMessage;
public sealed record ErrorMessage(string Code, string Message) : ServerMessage;
public sealed record UnknownServerMessage(string Type) : ServerMessage;
