using System.Text.Json;
using Spectre.Console;

namespace Mamba.Audio.Host.Terminal;

/// <summary>Writes a benchmark's result as indented JSON (atomically: temp file, then rename).</summary>
public static class JsonReport
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public static void Write<T>(string path, T result)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(result, Options));
        File.Move(temp, full, overwrite: true);
        AnsiConsole.MarkupLineInterpolated($"[grey]wrote[/] {full}");
    }
}
