using System.Buffers;
using MessagePack;

namespace Mamba.Audio.Service.Protocol;

/// <summary>Encodes client messages (the listen command's, the tests' and the benchmark's).</summary>
public static class ClientMessageWriter
{
    public static byte[] Start(StartMessage start)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        var w = new MessagePackWriter(buffer);
        int fields = 2 + (start.Model is null ? 0 : 1) + 2 + (start.Seed is null ? 0 : 1) + (start.SampleRate is null ? 0 : 1) + 2 + (start.Seconds is null ? 0 : 1);
        w.WriteMapHeader(fields);
        w.Write("type"); w.Write("start");
        w.Write("version"); w.Write(start.Version);
        if (start.Model is { } model) { w.Write("model"); w.Write(model); }
        w.Write("temperature"); w.Write(start.Temperature);
        w.Write("top_p"); w.Write(start.TopP);
        if (start.Seed is { } seed) { w.Write("seed"); w.Write(seed); }
        if (start.SampleRate is { } rate) { w.Write("sample_rate"); w.Write(rate); }
        w.Write("block"); w.Write(start.Block);
        w.Write("encoding"); w.Write(AudioEncodings.Name(start.Encoding));
        if (start.Seconds is { } seconds) { w.Write("seconds"); w.Write(seconds); }
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Prompt(PromptMessage prompt)
    {
        var buffer = new ArrayBufferWriter<byte>(prompt.Data.Length + 64);
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(4);
        w.Write("type"); w.Write("prompt");
        w.Write("encoding"); w.Write(AudioEncodings.Name(prompt.Encoding));
        w.Write("sample_rate"); w.Write(prompt.SampleRate);
        w.Write("data"); w.Write(prompt.Data);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Set(float? temperature, float? topP)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(1 + (temperature is null ? 0 : 1) + (topP is null ? 0 : 1));
        w.Write("type"); w.Write("set");
        if (temperature is { } t) { w.Write("temperature"); w.Write(t); }
        if (topP is { } p) { w.Write("top_p"); w.Write(p); }
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>pause, resume or stop: a message of its type alone.</summary>
    public static byte[] Bare(string type)
    {
        var buffer = new ArrayBufferWriter<byte>(16);
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(1);
        w.Write("type"); w.Write(type);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
