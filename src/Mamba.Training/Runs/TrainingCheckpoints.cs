using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Text.Json;
using Mamba.Training.Models;
using Mamba.Core.Checkpoints;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Training.Runs;

/// <summary>
/// The checkpoints of a run: &lt;output&gt;/checkpoints/step-NNNNNNNN/ (model files of the
/// architecture, optimizer.bin, training.json) and &lt;output&gt;/best/. Each is written whole into a
/// hidden temporary directory, flushed, then renamed into place, so a process killed at any moment
/// leaves only complete checkpoints. Pruning renames a checkpoint to a temporary name before deleting
/// it, so a kill during the delete leaves no half checkpoint under a step name. The last K and the
/// best are kept. Cleanup removes only names this class makes (<see cref="IsTemporaryName"/>, ".X.aside").
/// </summary>
public sealed class TrainingCheckpoints
{
    public const string StateFileName = "training.json";
    public const string OptimizerFileName = "optimizer.bin";
    // Before the first validation the best is +infinity and the last is NaN: written as named literals.
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>".NAME.&lt;32 hex digits&gt;.tmp": a file or directory being written (StagedFile, WriteDirectory) or deleted (pruning).</summary>
    private static readonly Regex TemporaryName = new(@"^\..+\.[0-9a-f]{32}\.tmp$", RegexOptions.CultureInvariant);

    /// <param name="sampleRate">The corpus's rate, saved with every checkpoint (<see cref="CheckpointSampleRate"/>) so render plays it at the right speed.</param>
    public TrainingCheckpoints(string output, int keepLast, int sampleRate = CheckpointSampleRate.Default)
    {
        SampleRate = sampleRate;
        Output = Path.GetFullPath(output);
        Root = Path.Combine(Output, "checkpoints");
        Best = Path.Combine(Output, "best");
        KeepLast = Math.Max(1, keepLast);
        Directory.CreateDirectory(Root);
        Recover();
    }

    public string Output { get; }
    public string Root { get; }
    public string Best { get; }
    public int KeepLast { get; }
    public int SampleRate { get; }

    public static string StepName(long step) => "step-" + step.ToString("D8", CultureInfo.InvariantCulture);

    /// <summary>Whether a file or directory name is one this class (or <see cref="StagedFile"/>) uses while writing or deleting.</summary>
    public static bool IsTemporaryName(string name) => TemporaryName.IsMatch(name);

    /// <summary>Step checkpoint directories, newest first (a damaged one is found out when it is read).</summary>
    public IReadOnlyList<string> StepDirectories() =>
        Directory.GetDirectories(Root, "step-*").Where(d => !Path.GetFileName(d).Contains('.'))
            .OrderByDescending(d => d, StringComparer.Ordinal).ToList();

    /// <summary>Writes a step checkpoint, then prunes to the last K. Returns its directory.</summary>
    public string Save(AudioModel model, OptimizerHelper optimizer, TrainingState state)
    {
        var target = Path.Combine(Root, StepName(state.Step));
        WriteDirectory(target, model, optimizer, state);
        foreach (var old in StepDirectories().Skip(KeepLast))
        {
            var doomed = TemporaryPath(old);
            Directory.Move(old, doomed);   // from here on no step name points at a directory being deleted
            PausePoint.Reached("prune");
            Directory.Delete(doomed, recursive: true);
        }
        return target;
    }

    /// <summary>Replaces best/ with this state (model, optimiser and state, so it can be resumed or shipped).</summary>
    public void SaveBest(AudioModel model, OptimizerHelper optimizer, TrainingState state) =>
        WriteDirectory(Best, model, optimizer, state);

    /// <summary>Reads and checks training.json; every problem is a <see cref="CheckpointException"/> naming the file.</summary>
    public static TrainingState ReadState(string directory)
    {
        var path = Path.Combine(directory, StateFileName);
        TrainingState? state;
        try
        {
            state = JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(path), JsonOptions);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: not a valid training state: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{path}: cannot be read: {e.Message}", e);
        }
        if (state is null) throw new CheckpointException($"{path}: empty training state.");
        if (state.Problem() is { } problem) throw new CheckpointException($"{path}: incomplete training state: {problem}.");
        return state;
    }

    /// <summary>Checks optimizer.bin against the hash in the state (a checkpoint of an earlier version has none: then only that it exists).</summary>
    public static void VerifyOptimizer(string directory, TrainingState state)
    {
        var path = Path.Combine(directory, OptimizerFileName);
        if (!File.Exists(path)) throw new CheckpointException($"{path}: missing.");
        if (state.OptimizerSha256 is not { } expected) return;
        var actual = Sha256(path);
        if (actual != expected)
            throw new CheckpointException($"{path}: SHA-256 {actual} does not match {expected} in {StateFileName}: the file is damaged.");
    }

    private void WriteDirectory(string target, AudioModel model, OptimizerHelper optimizer, TrainingState state)
    {
        var temp = TemporaryPath(target);
        Directory.CreateDirectory(temp);
        try
        {
            model.Save(temp, CheckpointSampleRate.With(null, SampleRate));
            var optimizerPath = Path.Combine(temp, OptimizerFileName);
            optimizer.save_state_dict(optimizerPath);
            FlushToDisk(optimizerPath);
            state = state with { OptimizerSha256 = Sha256(optimizerPath) };
            StagedFile.WriteAllTextAtomically(Path.Combine(temp, StateFileName), JsonSerializer.Serialize(state, JsonOptions));
            // Swap into place: the old directory (if any) steps aside first, so at every moment one
            // complete copy exists under the target name or beside it (Recover puts it back).
            var aside = AsidePath(target);
            if (Directory.Exists(aside)) Directory.Delete(aside, recursive: true);
            if (Directory.Exists(target)) Directory.Move(target, aside);
            Directory.Move(temp, target);
            if (Directory.Exists(aside)) Directory.Delete(aside, recursive: true);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    private static string TemporaryPath(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");

    private static string AsidePath(string path) => Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.aside");

    /// <summary>
    /// After a kill: a swap cut between its two renames left .X.aside without X (put it back); any
    /// temporary file or directory of a write or a prune is removed, in the run directory, checkpoints/,
    /// best/ and every step directory. Nothing else is touched.
    /// </summary>
    private void Recover()
    {
        foreach (var parent in new[] { Root, Output })
            foreach (var aside in Directory.GetDirectories(parent, ".*.aside"))
            {
                var target = Path.Combine(parent, Path.GetFileName(aside)[1..^".aside".Length]);
                if (!Directory.Exists(target)) Directory.Move(aside, target);
                else Directory.Delete(aside, recursive: true);
            }
        var folders = new List<string> { Output, Root };
        if (Directory.Exists(Best)) folders.Add(Best);
        folders.AddRange(StepDirectories());
        foreach (var folder in folders)
        {
            foreach (var directory in Directory.GetDirectories(folder).Where(d => IsTemporaryName(Path.GetFileName(d))))
                Directory.Delete(directory, recursive: true);
            foreach (var file in Directory.GetFiles(folder).Where(f => IsTemporaryName(Path.GetFileName(f))))
                File.Delete(file);
        }
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void FlushToDisk(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Flush(flushToDisk: true);
    }
}
