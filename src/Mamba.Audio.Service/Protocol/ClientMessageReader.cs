using System.Buffers;
using MessagePack;

namespace Mamba.Audio.Service.Protocol;

/// <summary>
/// Decodes one client message (one whole WebSocket binary message) into a <see cref="ClientMessage"/>,
/// or throws <see cref="ProtocolException"/> naming what is wrong: not MessagePack, not a map, an
/// unknown type, an unknown or repeated field, a field of the wrong type or out of range, bytes after
/// the map. Strict on purpose: the bytes come from the network (docs/PROTOCOL.md). Reads through
/// <see cref="MessagePackReader"/> with <see cref="MessagePackSecurity.UntrustedData"/>'s depth limit
/// and its own caps on counts and lengths, so no length in a message makes it allocate more than the
/// message's own size.
/// </summary>
public static class ClientMessageReader
{
    public const int MaxFields = 16;
    public const int MaxStringBytes = 256;
    public const int MinBlock = 64, MaxBlock = 16384, MinRate = 8000, MaxRate = 192000;
    public const double MaxSeconds = 7 * 24 * 3600;

    public static ClientMessage Read(ReadOnlyMemory<byte> message)
    {
        try
        {
            var reader = new MessagePackReader(message);
            var fields = ReadFields(ref reader);
            if (!reader.End) throw new ProtocolException(ErrorCodes.Malformed, $"{message.Length - reader.Consumed} bytes follow the message's map; one message is one map.");
            return fields.Build();
        }
        catch (ProtocolException) { throw; }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or InvalidOperationException
                                     or OverflowException or ArgumentException or InsufficientExecutionStackException)
        {
            throw new ProtocolException(ErrorCodes.Malformed, $"not a valid MessagePack message: {e.Message}");
        }
    }

    private static Fields ReadFields(ref MessagePackReader reader)
    {
        if (reader.End) throw new ProtocolException(ErrorCodes.Malformed, "the message is empty.");
        if (reader.NextMessagePackType != MessagePackType.Map)
            throw new ProtocolException(ErrorCodes.Malformed, $"a message is a MessagePack map; this one is {Describe(reader.NextMessagePackType)}.");
        int count = reader.ReadMapHeader();
        if (count > MaxFields) throw new ProtocolException(ErrorCodes.TooLarge, $"the message has {count} fields; at most {MaxFields}.");
        var fields = new Fields();
        for (int i = 0; i < count; i++)
        {
            if (reader.NextMessagePackType != MessagePackType.String)
                throw new ProtocolException(ErrorCodes.Malformed, $"field names are strings; field {i} is {Describe(reader.NextMessagePackType)}.");
            string key = ReadString(ref reader, "a field name");
            fields.Add(key, ref reader);
        }
        return fields;
    }

    internal static string ReadString(ref MessagePackReader reader, string what)
    {
        var bytes = reader.ReadStringSequence();
        if (bytes is not { } sequence) throw new ProtocolException(ErrorCodes.BadField, $"{what} is nil; a string is needed.");
        if (sequence.Length > MaxStringBytes) throw new ProtocolException(ErrorCodes.TooLarge, $"{what} is {sequence.Length} bytes long; at most {MaxStringBytes}.");
        try { return new System.Text.UTF8Encoding(false, true).GetString(sequence.ToArray()); }
        catch (System.Text.DecoderFallbackException) { throw new ProtocolException(ErrorCodes.Malformed, $"{what} is not valid UTF-8."); }
    }

    private static string Describe(MessagePackType type) => type switch
    {
        MessagePackType.Integer => "an integer",
        MessagePackType.Nil => "nil",
        MessagePackType.Boolean => "a boolean",
        MessagePackType.Float => "a float",
        MessagePackType.String => "a string",
        MessagePackType.Binary => "binary",
        MessagePackType.Array => "an array",
        MessagePackType.Map => "a map",
        MessagePackType.Extension => "an extension",
        _ => "not a MessagePack value",
    };

    /// <summary>The fields of one message as read; <see cref="Build"/> checks them against its type.</summary>
    private sealed class Fields
    {
        private string? type;
        private readonly Dictionary<string, object> values = new(StringComparer.Ordinal);

        public void Add(string key, ref MessagePackReader reader)
        {
            if (key == "type")
            {
                if (type is not null) throw Repeated(key);
                if (reader.NextMessagePackType != MessagePackType.String) throw Wrong(key, "a string", reader.NextMessagePackType);
                type = ReadString(ref reader, "type");
                return;
            }
            if (values.ContainsKey(key)) throw Repeated(key);
            if (!Known.Contains(key)) throw new ProtocolException(ErrorCodes.BadField, $"unknown field \"{AudioEncodings.Truncate(key)}\".");
            values[key] = reader.NextMessagePackType switch
            {
                MessagePackType.Integer => (object)reader.ReadInt64(),
                MessagePackType.Float => reader.ReadDouble(),
                MessagePackType.String => ReadString(ref reader, key),
                MessagePackType.Binary => reader.ReadBytes()!.Value.ToArray(),
                MessagePackType.Boolean => reader.ReadBoolean(),
                var other => throw Wrong(key, "a number, string or binary", other),
            };
        }

        private static readonly HashSet<string> Known =
            ["version", "model", "temperature", "top_p", "seed", "sample_rate", "block", "encoding", "seconds", "data"];

        private static ProtocolException Repeated(string key) => new(ErrorCodes.Malformed, $"field \"{key}\" appears twice.");
        private static ProtocolException Wrong(string key, string wanted, MessagePackType got) =>
            new(ErrorCodes.BadField, $"{key} must be {wanted}, not {Describe(got)}.");

        public ClientMessage Build()
        {
            if (type is null) throw new ProtocolException(ErrorCodes.Malformed, "the message has no \"type\" field.");
            ClientMessage message = type switch
            {
                "start" => BuildStart(),
                "prompt" => new PromptMessage(
                    AudioEncodings.Parse(RequiredString("encoding"), "encoding"),
                    (int)(Integer("sample_rate", MinRate, MaxRate) ?? throw Missing("sample_rate")),
                    Binary("data")),
                "set" => new SetMessage(Temperature(), TopP()),
                "pause" => new PauseMessage(),
                "resume" => new ResumeMessage(),
                "stop" => new StopMessage(),
                _ => throw new ProtocolException(ErrorCodes.UnknownType, $"unknown message type \"{AudioEncodings.Truncate(type)}\"; a client sends start, prompt, set, pause, resume or stop."),
            };
            if (values.Count > 0)
                throw new ProtocolException(ErrorCodes.BadField, $"field \"{values.Keys.First()}\" is not part of a {type} message.");
            if (message is SetMessage { Temperature: null, TopP: null })
                throw new ProtocolException(ErrorCodes.BadField, "a set message changes temperature, top_p or both; it has neither.");
            return message;
        }

        private StartMessage BuildStart()
        {
            long version = Integer("version", 0, int.MaxValue) ?? throw Missing("version");
            if (version != ProtocolInfo.Version)
                throw new ProtocolException(ErrorCodes.BadField, $"protocol version {version} is not spoken here; this server speaks version {ProtocolInfo.Version}.");
            var encoding = OptionalString("encoding") is { } e ? AudioEncodings.Parse(e, "encoding") : AudioEncoding.Pcm16;
            double? seconds = Number("seconds");
            if (seconds is { } s && !(s > 0 && s <= MaxSeconds))
                throw new ProtocolException(ErrorCodes.BadField, $"seconds must be in (0, {MaxSeconds}], not {s}.");
            ulong? seed = null;
            if (values.Remove("seed", out var raw))
                seed = raw is long n && n >= 0 ? (ulong)n : throw new ProtocolException(ErrorCodes.BadField, "seed must be a non-negative integer.");
            return new StartMessage(
                (int)version, OptionalString("model"), Temperature() ?? 1f, TopP() ?? 1f, seed,
                (int?)Integer("sample_rate", MinRate, MaxRate), (int)(Integer("block", MinBlock, MaxBlock) ?? 1024), encoding, seconds);
        }

        private float? Temperature()
        {
            double? t = Number("temperature");
            if (t is { } v && !(v >= 0 && v <= 100)) throw new ProtocolException(ErrorCodes.BadField, $"temperature must be in [0, 100] (0 = greedy), not {v}.");
            return (float?)t;
        }

        private float? TopP()
        {
            double? p = Number("top_p");
            if (p is { } v && !(v > 0 && v <= 1)) throw new ProtocolException(ErrorCodes.BadField, $"top_p must be in (0, 1], not {v}.");
            return (float?)p;
        }

        private double? Number(string key)
        {
            if (!values.Remove(key, out var v)) return null;
            double d = v switch
            {
                long n => n,
                double x => x,
                _ => throw new ProtocolException(ErrorCodes.BadField, $"{key} must be a number."),
            };
            if (!double.IsFinite(d)) throw new ProtocolException(ErrorCodes.BadField, $"{key} must be finite, not {d}.");
            return d;
        }

        private long? Integer(string key, long min, long max)
        {
            if (!values.Remove(key, out var v)) return null;
            if (v is not long n) throw new ProtocolException(ErrorCodes.BadField, $"{key} must be an integer.");
            if (n < min || n > max) throw new ProtocolException(ErrorCodes.BadField, $"{key} must be in [{min}, {max}], not {n}.");
            return n;
        }

        private string? OptionalString(string key)
        {
            if (!values.Remove(key, out var v)) return null;
            return v as string ?? throw new ProtocolException(ErrorCodes.BadField, $"{key} must be a string.");
        }

        private string RequiredString(string key) => OptionalString(key) ?? throw Missing(key);

        private byte[] Binary(string key)
        {
            if (!values.Remove(key, out var v)) throw Missing(key);
            return v as byte[] ?? throw new ProtocolException(ErrorCodes.BadField, $"{key} must be binary (MessagePack bin).");
        }

        private ProtocolException Missing(string key) => new(ErrorCodes.BadField, $"a {type} message needs \"{key}\".");
    }
}
