namespace Mamba.Audio.Service.Protocol;

/// <summary>How the samples of an audio or prompt message are coded in its <c>data</c> bytes.</summary>
public enum AudioEncoding
{
    /// <summary>16-bit signed little-endian PCM, mono: two bytes a sample (what render's WAV files hold).</summary>
    Pcm16,
    /// <summary>The model's own mu-law classes, one byte a sample (only at the model's rate).</summary>
    MuLaw,
}

public static class AudioEncodings
{
    public static string Name(AudioEncoding encoding) => encoding == AudioEncoding.MuLaw ? "mulaw" : "pcm16";

    public static AudioEncoding Parse(string name, string field) => name switch
    {
        "pcm16" => AudioEncoding.Pcm16,
        "mulaw" => AudioEncoding.MuLaw,
        _ => throw new ProtocolException(ErrorCodes.BadField, $"{field} must be \"pcm16\" or \"mulaw\", not \"{Truncate(name)}\"."),
    };

    public static int BytesPerSample(AudioEncoding encoding) => encoding == AudioEncoding.MuLaw ? 1 : 2;

    internal static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
