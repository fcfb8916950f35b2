using System.Text;

namespace Mamba.Audio.Native;

/// <summary>
/// Loads a checkpoint the host asked for while audio runs (LV2's patch:Set of the checkpoint
/// parameter), on a thread of its own, never on the audio thread: run() copies the path into a
/// buffer made here and bumps a counter (<see cref="Request"/>); the loader, polling every 20 ms,
/// builds a new voice and publishes it; run() takes it at the start of a block
/// (<see cref="TakeLoaded"/>) and hands back the old one (<see cref="Retire"/>), which the loader
/// disposes. No lock, wait or allocation on the audio side. A checkpoint that fails to load is said
/// on stderr and the voice playing goes on.
/// </summary>
internal sealed class CheckpointLoader : IDisposable
{
    public const int MaxPathBytes = 4096;

    private readonly byte[] request = new byte[MaxPathBytes];
    private readonly int hostRate;
    private readonly Thread thread;
    private volatile bool stopping;
    private int requestLength;
    private long requested, handled;
    private LoadedVoice? loaded;
    private MambaVoice? retired;

    public CheckpointLoader(int hostRate)
    {
        this.hostRate = hostRate;
        thread = new Thread(Loop) { IsBackground = true, Name = "mamba-audio checkpoint loader" };
        thread.Start();
    }

    /// <summary>Audio thread: asks for <paramref name="utf8Path"/> (too long a path is ignored: nothing of it is kept).</summary>
    public void Request(ReadOnlySpan<byte> utf8Path)
    {
        if (utf8Path.Length == 0 || utf8Path.Length > MaxPathBytes) return;
        utf8Path.CopyTo(request);
        Volatile.Write(ref requestLength, utf8Path.Length);
        Interlocked.Increment(ref requested);
    }

    /// <summary>A voice the loader made, and the checkpoint it came from.</summary>
    public sealed record LoadedVoice(MambaVoice Voice, string Path);

    /// <summary>Audio thread: the voice loaded since the last call, with the path it came from, or null.</summary>
    public LoadedVoice? TakeLoaded() => Interlocked.Exchange(ref loaded, null);

    /// <summary>Audio thread: the voice just replaced, for the loader to dispose.</summary>
    public void Retire(MambaVoice? old) => Volatile.Write(ref retired, old);

    private void Loop()
    {
        while (!stopping)
        {
            Thread.Sleep(20);
            if (Interlocked.Exchange(ref retired, null) is { } old) old.Dispose();
            // One swap in flight at a time: publish only when run() has taken the last one and its predecessor is gone.
            long wanted = Interlocked.Read(ref requested);
            if (wanted == handled || Volatile.Read(ref loaded) is not null || Volatile.Read(ref retired) is not null) continue;
            string path = Encoding.UTF8.GetString(request, 0, Volatile.Read(ref requestLength)).TrimEnd('\0');
            if (Interlocked.Read(ref requested) != wanted) continue;   // a newer request arrived while copying: take that one
            handled = wanted;
            try
            {
                Volatile.Write(ref loaded, new LoadedVoice(new MambaVoice(path, hostRate), path));
            }
            catch (Exception e)
            {
                VoiceMessages.Say($"cannot load the checkpoint '{path}' the host asked for: {e.Message}. The checkpoint playing goes on.");
            }
        }
    }

    public void Dispose()
    {
        stopping = true;
        thread.Join();
        Interlocked.Exchange(ref loaded, null)?.Voice.Dispose();
        Interlocked.Exchange(ref retired, null)?.Dispose();
    }
}
