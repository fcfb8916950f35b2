namespace Mamba.Audio.Native;

/// <summary>
/// The plugin's one channel to the person running the host: a line on stderr (hosts show or log it).
/// Called from instantiate and activate only, never from run().
/// </summary>
internal static class VoiceMessages
{
    public static void Say(string message)
    {
        try { Console.Error.WriteLine($"mamba-audio plugin: {message}"); }
        catch (IOException) { }   // no stderr: nowhere to say it
    }
}
