namespace Mamba.Core.Checkpoints;

/// <summary>
/// A file written beside its target under a temporary name, flushed to the disk, and renamed over
/// the target only on <see cref="Commit"/>: a crash or an exception leaves either the old file or
/// the new one, never a torn mix. Disposing without committing deletes the temporary file.
/// </summary>
/// <remarks>
/// The temporary file lives in the target's directory because a rename is atomic only within one
/// file system. Its name starts with a dot and ends with ".tmp" so a listing shows what it is.
/// The directory entry itself is not fsynced (.NET has no portable call for it); after a power
/// loss right after the rename the old file may reappear, which is still a whole file.
/// </remarks>
public sealed class StagedFile : IDisposable
{
    private bool _committed;

    private StagedFile(string targetPath, string tempPath)
    {
        TargetPath = targetPath;
        TempPath = tempPath;
    }

    /// <summary>The path the file will have once committed.</summary>
    public string TargetPath { get; }

    /// <summary>Where the content lies until <see cref="Commit"/>.</summary>
    public string TempPath { get; }

    /// <summary>Writes the content to a temporary file next to <paramref name="targetPath"/> and flushes it to the disk.</summary>
    public static StagedFile Write(string targetPath, Action<Stream> write)
    {
        var full = Path.GetFullPath(targetPath);
        var directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{targetPath}' has no directory.", nameof(targetPath));
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var staged = new StagedFile(full, temp);
        try
        {
            using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
            write(stream);
            stream.Flush(flushToDisk: true);   // the data must be on the disk before the rename makes it the file
        }
        catch
        {
            staged.Dispose();
            throw;
        }
        return staged;
    }

    /// <summary>Writes and commits in one call: the target is replaced whole or not at all.</summary>
    public static void WriteAtomically(string targetPath, Action<Stream> write)
    {
        using var staged = Write(targetPath, write);
        staged.Commit();
    }

    /// <summary>Replaces a text file atomically (UTF-8, no byte-order mark).</summary>
    public static void WriteAllTextAtomically(string targetPath, string text) =>
        WriteAtomically(targetPath, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text)));

    /// <summary>Renames the temporary file over the target (replacing it atomically).</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        File.Move(TempPath, TargetPath, overwrite: true);
        _committed = true;
    }

    /// <summary>Deletes the temporary file unless it was committed.</summary>
    public void Dispose()
    {
        if (_committed) return;
        _committed = true;
        try { File.Delete(TempPath); }
        catch (IOException) { }                 // best effort: the original error matters more
        catch (UnauthorizedAccessException) { }
    }
}
