using System.Text.Json;
using Mamba.Core.Checkpoints;

namespace Mamba.Training.Runs;

/// <summary>
/// Who owns a run directory. `train --out` writes only into a directory that is new, empty, or a
/// run of this tool continued with --resume; a run is marked by <see cref="MarkerFileName"/>, written
/// before anything else. Anything else is refused with the reason and left exactly as it was, so a
/// mistyped --out can never delete or rewrite the user's files.
/// </summary>
public static class RunDirectory
{
    public const string MarkerFileName = "mamba-audio-run.json";

    /// <summary>What a run of this tool keeps in its directory (besides the marker and its own temporary files).</summary>
    public static readonly IReadOnlySet<string> RunEntries = new HashSet<string>(StringComparer.Ordinal) { "checkpoints", "best", "metrics.jsonl", "loss.png" };

    /// <summary>Makes <paramref name="output"/> this run's directory, or throws <see cref="ArgumentException"/> saying why it cannot be.</summary>
    /// <returns>A line for the log when something noteworthy happened (an older run adopted), else null.</returns>
    public static string? Claim(string output, bool resume)
    {
        var full = Path.GetFullPath(output);
        if (File.Exists(full)) throw new ArgumentException($"--out {output}: is a file; a run directory is a folder.");
        bool exists = Directory.Exists(full);
        var entries = exists ? Directory.EnumerateFileSystemEntries(full).Select(e => Path.GetFileName(e)!).Order(StringComparer.Ordinal).ToList() : [];
        if (entries.Contains(MarkerFileName))
        {
            if (!resume)
                throw new ArgumentException($"--out {output}: already holds a run of mamba-audio; pass --resume to continue it (or extend it with a larger --steps), or choose another --out. Nothing was changed.");
            return null;
        }
        var foreign = entries.Where(e => !RunEntries.Contains(e)).ToList();
        if (entries.Count > 0 && (foreign.Count > 0 || !resume || !entries.Contains("checkpoints")))
            throw new ArgumentException($"--out {output}: holds {Describe(foreign.Count > 0 ? foreign : entries)}, and is not a run of mamba-audio; " +
                "a run directory must be new, empty, or a run continued with --resume. Choose another --out. Nothing was changed.");
        Directory.CreateDirectory(full);
        StagedFile.WriteAllTextAtomically(Path.Combine(full, MarkerFileName), JsonSerializer.Serialize(new
        {
            tool = "mamba-audio",
            format = 1,
            created = DateTimeOffset.UtcNow,
            note = "This directory is a training run: train --resume continues it; train deletes only its own temporary files here.",
        }, new JsonSerializerOptions { WriteIndented = true }));
        // Only a folder with nothing but a run's entries and checkpoints/ gets here with entries: a run of an earlier version.
        return entries.Count > 0 ? $"{full}: a run made before run directories were marked; marked it ({MarkerFileName}) and resuming." : null;
    }

    private static string Describe(List<string> names) =>
        $"{names.Count} entr{(names.Count == 1 ? "y" : "ies")} ({string.Join(", ", names.Take(5))}{(names.Count > 5 ? ", ..." : "")})";
}
