using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mamba.Core.Checkpoints;

namespace Mamba.Training.Runs;

/// <summary>
/// metrics.jsonl: one JSON object per line ({"step", "loss_bits", ...} or {"step", "val_bits", ...}),
/// flushed line by line so a killed run keeps what it reported. A resume first drops the lines
/// after the checkpoint it resumes from (and any torn last line), so the file reads as one run.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    private readonly StreamWriter writer;

    public MetricsLog(string path, long resumeStep)
    {
        Path = path;
        if (File.Exists(path)) TruncateAfter(path, resumeStep);
        writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    }

    public string Path { get; }

    public void Write(JsonObject entry) => writer.WriteLine(entry.ToJsonString());

    /// <summary>Reads every well-formed entry (a torn last line is skipped).</summary>
    public static IReadOnlyList<JsonObject> Read(string path)
    {
        var entries = new List<JsonObject>();
        if (!File.Exists(path)) return entries;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            try
            {
                if (JsonNode.Parse(line) is JsonObject o && o["step"] is not null) entries.Add(o);
            }
            catch (JsonException) { }
        }
        return entries;
    }

    private static void TruncateAfter(string path, long step)
    {
        var kept = Read(path).Where(e => e["step"]!.GetValue<long>() <= step)
            .Select(e => e.ToJsonString()).ToList();
        StagedFile.WriteAllTextAtomically(path, kept.Count == 0 ? "" : string.Join('\n', kept) + "\n");
    }

    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public void Dispose() => writer.Dispose();
}
