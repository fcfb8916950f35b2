using System.Globalization;
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
/// leaves only complete checkpoints. The last K and the best are kept.
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

    /// <param name="sampleRate">The corpus's rate, saved with every checkpoint (<see cref="CheckpointSampleRate"/>) so render plays it at the right speed.</param>
    public TrainingCheckpoints(string output, int keepLast, int sampleRate = CheckpointSampleRate.Default)
    {
        SampleRate = sampleRate;
        Output = Path.GetFullPath(output);
        Root = Path.Combine(Output, "checkpoints");
        Best = Path.Combine(Output, "best");
        KeepLast = Math.Max(1, keepLast);
        Directory.CreateDirectory(Root);
        RecoverBest();
    }

    public string Output { get; }
    public string Root { get; }
    public string Best { get; }
    public int KeepLast { get; }
    public int SampleRate { get; }

    public static string StepName(long step) => "step-" + step.ToString("D8", CultureInfo.InvariantCulture);

    /// <summary>Complete step checkpoints, newest first.</summary>
    public IReadOnlyList<string> StepDirectories() =>
        Directory.GetDirectories(Root, "step-*").Where(d => !Path.GetFileName(d).Contains('.'))
            .OrderByDescending(d => d, StringComparer.Ordinal).ToList();

    /// <summary>Writes a step checkpoint, then prunes to the last K. Returns its directory.</summary>
    public string Save(AudioModel model, OptimizerHelper optimizer, TrainingState state)
    {
        var target = Path.Combine(Root, StepName(state.Step));
        WriteDirectory(target, model, optimizer, state);
        foreach (var old in StepDirectories().Skip(KeepLast)) Directory.Delete(old, recursive: true);
        return target;
    }

    /// <summary>Replaces best/ with this state (model, optimiser and state, so it can be resumed or shipped).</summary>
    public void SaveBest(AudioModel model, OptimizerHelper optimizer, TrainingState state) =>
        WriteDirectory(Best, model, optimizer, state);

    public static TrainingState ReadState(string directory)
    {
        var path = Path.Combine(directory, StateFileName);
        try
        {
            return JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(path), JsonOptions)
                   ?? throw new CheckpointException($"{path}: empty training state.");
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: not a valid training state: {e.Message}", e);
        }
    }

    private void WriteDirectory(string target, AudioModel model, OptimizerHelper optimizer, TrainingState state)
    {
        var parent = Path.GetDirectoryName(target)!;
        var temp = Path.Combine(parent, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            model.Save(temp, CheckpointSampleRate.With(null, SampleRate));
            var optimizerPath = Path.Combine(temp, OptimizerFileName);
            optimizer.save_state_dict(optimizerPath);
            FlushToDisk(optimizerPath);
            StagedFile.WriteAllTextAtomically(Path.Combine(temp, StateFileName), JsonSerializer.Serialize(state, JsonOptions));
            // Swap into place: the old directory (if any) steps aside first, so at every moment one
            // complete copy exists under the target name or beside it (RecoverBest puts it back).
            var aside = target + ".old";
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

    /// <summary>A kill between the two renames of a swap leaves X.old without X: put it back.</summary>
    private void RecoverBest()
    {
        foreach (var aside in Directory.GetDirectories(Root, "*.old").Append(Best + ".old").Where(Directory.Exists))
        {
            var target = aside[..^4];
            if (!Directory.Exists(target)) Directory.Move(aside, target);
            else Directory.Delete(aside, recursive: true);
        }
        foreach (var temp in Directory.GetDirectories(Root, ".*.tmp").Concat(Directory.GetDirectories(Output, ".*.tmp")))
            Directory.Delete(temp, recursive: true);
    }

    private static void FlushToDisk(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Flush(flushToDisk: true);
    }
}
