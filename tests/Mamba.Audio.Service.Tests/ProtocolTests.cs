using System.Buffers;
using MessagePack;
using Mamba.Audio.Service.Protocol;

namespace Mamba.Audio.Service.Tests;

/// <summary>
/// The message reader on its own: every client message round-trips through the writer, each way a
/// message can be wrong is refused with its code and a message naming the fault, and a hundred
/// thousand random and mutated byte strings give a ProtocolException and nothing else.
/// </summary>
public class ProtocolTests
{
    private delegate void WriteFields(ref MessagePackWriter w);

    private static byte[] Map(WriteFields fields, int count)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(count);
        fields(ref w);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Fields(params (string Key, object Value)[] fields) => Map((ref MessagePackWriter w) =>
    {
        foreach (var (key, value) in fields)
        {
            w.Write(key);
            switch (value)
            {
                case string s: w.Write(s); break;
                case int i: w.Write(i); break;
                case long l: w.Write(l); break;
                case double d: w.Write(d); break;
                case byte[] b: w.Write(b); break;
                case bool b: w.Write(b); break;
                case null: w.WriteNil(); break;
            }
        }
    }, fields.Length);

    [Fact]
    public void ClientMessages_RoundTrip()
    {
        var start = new StartMessage(1, "digits", 0.8f, 0.9f, 42, 48000, 512, AudioEncoding.Pcm16, 12.5);
        Assert.Equal(start, ClientMessageReader.Read(ClientMessageWriter.Start(start)));
        var bare = new StartMessage(1, null, 1f, 1f, null, null, 1024, AudioEncoding.MuLaw, null);
        Assert.Equal(bare, ClientMessageReader.Read(ClientMessageWriter.Start(bare)));
        var prompt = (PromptMessage)ClientMessageReader.Read(ClientMessageWriter.Prompt(new PromptMessage(AudioEncoding.Pcm16, 22050, [1, 2, 3, 4])));
        Assert.Equal((AudioEncoding.Pcm16, 22050), (prompt.Encoding, prompt.SampleRate));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, prompt.Data);
        Assert.Equal(new SetMessage(0.5f, null), ClientMessageReader.Read(ClientMessageWriter.Set(0.5f, null)));
        Assert.IsType<PauseMessage>(ClientMessageReader.Read(ClientMessageWriter.Bare("pause")));
        Assert.IsType<ResumeMessage>(ClientMessageReader.Read(ClientMessageWriter.Bare("resume")));
        Assert.IsType<StopMessage>(ClientMessageReader.Read(ClientMessageWriter.Bare("stop")));
    }

    public static TheoryData<string, byte[], string, string> Refusals => new()
    {
        { "empty", [], ErrorCodes.Malformed, "empty" },
        { "not a map", [0x93, 1, 2, 3], ErrorCodes.Malformed, "an array" },
        { "truncated", ClientMessageWriter.Start(new StartMessage(1, null, 1, 1, null, null, 1024, AudioEncoding.Pcm16, null))[..9], ErrorCodes.Malformed, "not a valid MessagePack" },
        { "trailing bytes", [.. ClientMessageWriter.Bare("stop"), 0xc0], ErrorCodes.Malformed, "follow" },
        { "no type", Fields(("version", 1)), ErrorCodes.Malformed, "no \"type\"" },
        { "type not a string", Fields(("type", 7)), ErrorCodes.BadField, "type must be a string" },
        { "unknown type", Fields(("type", "launch")), ErrorCodes.UnknownType, "\"launch\"" },
        { "unknown field", Fields(("type", "stop"), ("force", true)), ErrorCodes.BadField, "unknown field \"force\"" },
        { "field of another message", Fields(("type", "stop"), ("seed", 1)), ErrorCodes.BadField, "not part of a stop" },
        { "repeated field", Fields(("type", "stop"), ("type", "stop")), ErrorCodes.Malformed, "twice" },
        { "no version", Fields(("type", "start")), ErrorCodes.BadField, "needs \"version\"" },
        { "wrong version", Fields(("type", "start"), ("version", 2)), ErrorCodes.BadField, "version 2" },
        { "temperature a string", Fields(("type", "start"), ("version", 1), ("temperature", "hot")), ErrorCodes.BadField, "temperature must be a number" },
        { "temperature negative", Fields(("type", "start"), ("version", 1), ("temperature", -1.0)), ErrorCodes.BadField, "temperature must be in" },
        { "temperature NaN", Fields(("type", "start"), ("version", 1), ("temperature", double.NaN)), ErrorCodes.BadField, "finite" },
        { "top_p zero", Fields(("type", "start"), ("version", 1), ("top_p", 0.0)), ErrorCodes.BadField, "top_p must be in (0, 1]" },
        { "negative seed", Fields(("type", "start"), ("version", 1), ("seed", -5)), ErrorCodes.BadField, "seed" },
        { "block too large", Fields(("type", "start"), ("version", 1), ("block", 1 << 20)), ErrorCodes.BadField, "block must be in" },
        { "rate absurd", Fields(("type", "start"), ("version", 1), ("sample_rate", 5)), ErrorCodes.BadField, "sample_rate must be in" },
        { "encoding unknown", Fields(("type", "start"), ("version", 1), ("encoding", "flac")), ErrorCodes.BadField, "\"pcm16\" or \"mulaw\"" },
        { "seconds zero", Fields(("type", "start"), ("version", 1), ("seconds", 0.0)), ErrorCodes.BadField, "seconds must be in" },
        { "prompt without data", Fields(("type", "prompt"), ("encoding", "pcm16"), ("sample_rate", 16000)), ErrorCodes.BadField, "needs \"data\"" },
        { "prompt data a string", Fields(("type", "prompt"), ("encoding", "pcm16"), ("sample_rate", 16000), ("data", "abc")), ErrorCodes.BadField, "data must be binary" },
        { "set with nothing", Fields(("type", "set")), ErrorCodes.BadField, "neither" },
        { "nil value", Fields(("type", "set"), ("temperature", null!)), ErrorCodes.BadField, "not nil" },
        { "too many fields", Map((ref MessagePackWriter w) => { for (int i = 0; i < 17; i++) { w.Write("k" + i); w.Write(i); } }, 17), ErrorCodes.TooLarge, "17 fields" },
        { "huge map count", [0xdf, 0x7f, 0xff, 0xff, 0xff], ErrorCodes.Malformed, "past the end" },
        { "huge string length", [0x81, 0xdb, 0x7f, 0xff, 0xff, 0xff, (byte)'t'], ErrorCodes.Malformed, "not a valid MessagePack" },
        { "long field name", Fields((new string('k', 300), 1)), ErrorCodes.TooLarge, "300 bytes" },
        { "bad utf-8", [0x81, 0xa2, 0xff, 0xfe, 0x01], ErrorCodes.Malformed, "UTF-8" },
        { "nested deep", [0x81, 0xa4, (byte)'t', (byte)'y', (byte)'p', (byte)'e', .. Enumerable.Repeat((byte)0x91, 500), 0x01], ErrorCodes.BadField, "type must be a string" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void AWrongMessage_IsRefusedWithItsCodeAndFault(string what, byte[] message, string code, string says)
    {
        var error = Assert.Throws<ProtocolException>(() => ClientMessageReader.Read(message));
        Assert.True(error.Code == code && error.Message.Contains(says, StringComparison.Ordinal), $"{what}: got {error.Code}: {error.Message}");
    }

    [Fact]
    public void RandomAndMutatedBytes_GiveOnlyProtocolErrors()
    {
        var random = new Random(TestSeed.Fresh());
        byte[][] valid =
        [
            ClientMessageWriter.Start(new StartMessage(1, "m", 0.8f, 0.9f, 42, 48000, 512, AudioEncoding.Pcm16, 12.5)),
            ClientMessageWriter.Prompt(new PromptMessage(AudioEncoding.MuLaw, 16000, new byte[100])),
            ClientMessageWriter.Set(0.5f, 0.7f), ClientMessageWriter.Bare("pause"),
        ];
        int accepted = 0;
        for (int i = 0; i < 100_000; i++)
        {
            byte[] bytes;
            if (i % 3 == 0)
            {
                bytes = new byte[random.Next(0, 64)];
                random.NextBytes(bytes);
            }
            else
            {
                bytes = (byte[])valid[random.Next(valid.Length)].Clone();
                int mutations = random.Next(1, 4);
                for (int m = 0; m < mutations; m++)
                {
                    switch (random.Next(3))
                    {
                        case 0: bytes[random.Next(bytes.Length)] = (byte)random.Next(256); break;
                        case 1: bytes = bytes[..random.Next(bytes.Length)]; break;
                        default: bytes = [.. bytes, (byte)random.Next(256)]; break;
                    }
                    if (bytes.Length == 0) break;
                }
            }
            try
            {
                ClientMessageReader.Read(bytes);
                accepted++;
            }
            catch (ProtocolException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
            }
        }
        Assert.True(accepted < 60_000, $"{accepted} of 100000 random or mutated messages were accepted");
    }
}
