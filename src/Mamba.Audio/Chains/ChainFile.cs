using System.Text.Json;

namespace Mamba.Audio.Chains;

/// <summary>
/// A chain written as JSON, for chains too long for one line or kept with a project:
/// <code>
/// { "generator": { "plugin": "mamba", "checkpoint": "samples/models/digits-small", "seed": 7 },
///   "effects": [ { "plugin": "lowpass", "hz": 3000 }, { "plugin": "gain", "db": -3 } ],
///   "sinks": [ { "plugin": "pulse" }, { "plugin": "wav", "path": "take.wav" } ] }
/// </code>
/// Each stage is its plugin's name and the settings the text syntax takes, as strings, numbers or
/// booleans; "effects" and "sinks" may be left out. Paths are as on the command line (from the current folder).
/// </summary>
public static class ChainFile
{
    /// <summary>Whether a --chain value names a JSON chain file rather than being a chain.</summary>
    public static bool IsFile(string chain) => chain.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && !chain.Contains('|') && !chain.Contains(' ');

    /// <summary>The chain a --chain value gives: the text syntax, or the JSON file it names.</summary>
    public static ChainText Parse(string chain) => IsFile(chain) ? Read(chain) : ChainSyntax.Parse(chain);

    /// <summary>Reads a JSON chain file; a malformed one is an <see cref="ArgumentException"/> naming the file, the place and what is wrong.</summary>
    public static ChainText Read(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--chain {path}: cannot read the chain file: {e.Message}", e);
        }
        JsonDocument document;
        try { document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 8 }); }
        catch (JsonException e)
        {
            throw new ArgumentException($"--chain {path}: not JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {e.Message.Split(" LineNumber")[0]}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new ArgumentException($"--chain {path}: expected an object with \"generator\", \"effects\" and \"sinks\".");
            foreach (var property in root.EnumerateObject())
                if (property.Name is not ("generator" or "effects" or "sinks"))
                    throw new ArgumentException($"--chain {path}: unknown key \"{property.Name}\"; a chain file has \"generator\", \"effects\" and \"sinks\".");
            if (!root.TryGetProperty("generator", out var generator)) throw new ArgumentException($"--chain {path}: no \"generator\".");
            return new ChainText(Stage(path, "generator", generator), Stages(path, root, "effects"), Stages(path, root, "sinks"));
        }
    }

    private static List<StageText> Stages(string path, JsonElement root, string key)
    {
        if (!root.TryGetProperty(key, out var list)) return [];
        if (list.ValueKind != JsonValueKind.Array) throw new ArgumentException($"--chain {path}: \"{key}\" must be a list of stages.");
        return list.EnumerateArray().Select((stage, i) => Stage(path, $"{key}[{i}]", stage)).ToList();
    }

    private static StageText Stage(string path, string where, JsonElement stage)
    {
        if (stage.ValueKind != JsonValueKind.Object) throw new ArgumentException($"--chain {path}: {where} must be an object like {{\"plugin\": \"gain\", \"db\": -6}}.");
        string? name = null;
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in stage.EnumerateObject())
        {
            var value = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString()!,
                JsonValueKind.Number => property.Value.GetRawText(),
                JsonValueKind.True => "1",
                JsonValueKind.False => "0",
                _ => throw new ArgumentException($"--chain {path}: {where}.{property.Name}: expected a string, a number or true/false."),
            };
            if (property.Name == "plugin") name = value;
            else if (!settings.TryAdd(property.Name, value)) throw new ArgumentException($"--chain {path}: {where}.{property.Name} is given twice.");
        }
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException($"--chain {path}: {where} has no \"plugin\".");
        return new StageText(name, settings);
    }
}
