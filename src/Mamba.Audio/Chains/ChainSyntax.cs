using System.Text;

namespace Mamba.Audio.Chains;

/// <summary>One stage as written: a plugin name and its settings ("gain db=-6").</summary>
public sealed record StageText(string Name, IReadOnlyDictionary<string, string> Settings)
{
    public override string ToString() => string.Join(' ', Settings.Select(kv => $"{kv.Key}={kv.Value}").Prepend(Name));
}

/// <summary>A chain as written: a generator, effects in order, and one or more sinks.</summary>
public sealed record ChainText(StageText Generator, IReadOnlyList<StageText> Effects, IReadOnlyList<StageText> Sinks);

/// <summary>
/// The chain syntax: stages separated by '|', the last stage one or more sinks separated by '+'.
/// A stage is a plugin name and key=value settings; a value with spaces is quoted ("..." or '...').
/// <code>mamba checkpoint=samples/models/digits-small temperature=0.9 | lowpass hz=3000 | gain db=-3 | pulse + wav path=take.wav</code>
/// A chain without a sink stage gets none here; the command adds its default (play: the sound card).
/// </summary>
public static class ChainSyntax
{
    public static ChainText Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("--chain is empty: give at least a generator, e.g. \"tone hz=440\".");
        var stages = Split(text, '|');
        if (stages.Any(s => s.Trim().Length == 0)) throw new ArgumentException($"--chain \"{text}\": an empty stage between two '|'.");
        var generator = Stage(stages[0]);
        var effects = new List<StageText>();
        var sinks = new List<StageText>();
        for (int i = 1; i < stages.Count; i++)
        {
            var alternatives = Split(stages[i], '+');
            if (alternatives.Count > 1 || i == stages.Count - 1 && SinkNames.Contains(FirstWord(stages[i])))
            {
                if (i != stages.Count - 1) throw new ArgumentException($"--chain: '{stages[i].Trim()}': sinks joined by '+' come last.");
                sinks.AddRange(alternatives.Select(Stage));
            }
            else effects.Add(Stage(stages[i]));
        }
        return new ChainText(generator, effects, sinks);
    }

    /// <summary>Names that end a chain (a last stage of these is the sink list, not an effect).</summary>
    public static readonly IReadOnlySet<string> SinkNames = new HashSet<string>(StringComparer.Ordinal) { "pulse", "alsa", "wasapi", "wav", "null" };

    private static string FirstWord(string stage) => Tokens(stage).FirstOrDefault() ?? "";

    private static StageText Stage(string text)
    {
        var tokens = Tokens(text);
        if (tokens.Count == 0) throw new ArgumentException("--chain: an empty stage.");
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var token in tokens.Skip(1))
        {
            int equals = token.IndexOf('=');
            if (equals <= 0) throw new ArgumentException($"--chain: '{tokens[0]}': '{token}' is not key=value.");
            var key = token[..equals];
            if (!settings.TryAdd(key, token[(equals + 1)..])) throw new ArgumentException($"--chain: '{tokens[0]}': {key} is given twice.");
        }
        return new StageText(tokens[0], settings);
    }

    /// <summary>Splits at a separator outside quotes.</summary>
    private static List<string> Split(string text, char separator)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        char quote = '\0';
        foreach (char c in text)
        {
            if (quote != '\0') { if (c == quote) quote = '\0'; current.Append(c); }
            else if (c is '"' or '\'') { quote = c; current.Append(c); }
            else if (c == separator) { parts.Add(current.ToString()); current.Clear(); }
            else current.Append(c);
        }
        if (quote != '\0') throw new ArgumentException($"--chain \"{text}\": a quote is not closed.");
        parts.Add(current.ToString());
        return parts;
    }

    /// <summary>Words of a stage; quotes group and are removed.</summary>
    private static List<string> Tokens(string text)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        char quote = '\0';
        bool inToken = false;
        foreach (char c in text)
        {
            if (quote != '\0') { if (c == quote) quote = '\0'; else current.Append(c); }
            else if (c is '"' or '\'') { quote = c; inToken = true; }
            else if (char.IsWhiteSpace(c)) { if (inToken) { tokens.Add(current.ToString()); current.Clear(); inToken = false; } }
            else { current.Append(c); inToken = true; }
        }
        if (inToken) tokens.Add(current.ToString());
        return tokens;
    }
}
