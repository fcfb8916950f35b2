using System.Globalization;
using System.Reflection;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Terminal;

/// <summary>
/// Checks a command line against the command's settings before Spectre.Console.Cli binds it, so
/// that every mistake is named by its option: an unknown option with the nearest valid one
/// ("--secnds: did you mean --seconds?"), a value that is not a number of the option's type
/// ("--lr inf: expected a finite number"), a missing value. Spectre alone says "Failed to convert
/// 'inf' to Double" without saying which option, and accepts NaN and infinity for a double.
/// </summary>
public static class OptionCheck
{
    /// <summary>Throws <see cref="OptionException"/> for the first bad option of <paramref name="args"/>; does nothing for an unknown command or --help.</summary>
    /// <param name="commands">Settings type of each command path ("render", "bench generate").</param>
    public static void Check(IReadOnlyList<string> args, IReadOnlyDictionary<string, Type> commands)
    {
        if (args.Any(a => a is "--help" or "-h" or "-?" or "--version" or "-v")) return;
        int start;
        Type? settings;
        if (args.Count >= 2 && commands.TryGetValue(args[0] + " " + args[1], out settings)) start = 2;
        else if (args.Count >= 1 && commands.TryGetValue(args[0], out settings)) start = 1;
        else return;
        string command = string.Join(' ', args.Take(start));
        var options = OptionsOf(settings);

        for (int i = start; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--") break;
            if (!arg.StartsWith("--", StringComparison.Ordinal)) continue;   // a positional argument
            string name = arg[2..];
            string? inline = null;
            int equals = name.IndexOf('=');
            if (equals >= 0) (name, inline) = (name[..equals], name[(equals + 1)..]);
            if (!options.TryGetValue(name, out var property))
            {
                string? near = Nearest(name, options.Keys);
                throw new OptionException($"{command}: unknown option --{name}" +
                    (near is null ? $"; see `mamba-audio {command} --help`." : $"; did you mean --{near}?"));
            }
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (type == typeof(bool)) continue;
            string? value = inline;
            if (value is null)
            {
                if (i + 1 >= args.Count || (args[i + 1].StartsWith("--", StringComparison.Ordinal) && !IsNumber(args[i + 1])))
                    throw new OptionException($"--{name} needs a value.");
                value = args[++i];
            }
            if (Problem(type, value) is { } problem) throw new OptionException($"--{name} {value}: {problem}.");
        }
    }

    /// <summary>Long option names of a settings type and the property each binds to.</summary>
    private static Dictionary<string, PropertyInfo> OptionsOf(Type settings)
    {
        var options = new Dictionary<string, PropertyInfo>(StringComparer.Ordinal);
        foreach (var property in settings.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            if (property.GetCustomAttribute<CommandOptionAttribute>() is { } option)
                foreach (var name in option.LongNames) options[name] = property;
        return options;
    }

    /// <summary>Why <paramref name="value"/> is not a value of <paramref name="type"/>, or null.</summary>
    private static string? Problem(Type type, string value)
    {
        const NumberStyles Integer = NumberStyles.AllowLeadingSign;
        var invariant = CultureInfo.InvariantCulture;
        if (type == typeof(int))
            return int.TryParse(value, Integer, invariant, out _) ? null : $"expected a whole number in {int.MinValue}..{int.MaxValue}";
        if (type == typeof(long))
            return long.TryParse(value, Integer, invariant, out _) ? null : $"expected a whole number in {long.MinValue}..{long.MaxValue}";
        if (type == typeof(ulong))
            return ulong.TryParse(value, NumberStyles.None, invariant, out _) ? null : $"expected a whole number in 0..{ulong.MaxValue}";
        if (type == typeof(double) || type == typeof(float))
        {
            if (!double.TryParse(value, NumberStyles.Float, invariant, out double d)) return "expected a number, like 0.5 or 2e-3";
            if (!double.IsFinite(d) || (type == typeof(float) && !float.IsFinite((float)d))) return "expected a finite number";
        }
        return null;
    }

    private static bool IsNumber(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>The option closest to a misspelt name by edit distance, if close enough to be a typo.</summary>
    internal static string? Nearest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            int d = candidate.StartsWith(name, StringComparison.Ordinal) || name.StartsWith(candidate, StringComparison.Ordinal)
                ? Math.Abs(candidate.Length - name.Length) : EditDistance(name, candidate);
            if (d < bestDistance || (d == bestDistance && string.CompareOrdinal(candidate, best) < 0)) (best, bestDistance) = (candidate, d);
        }
        return bestDistance <= Math.Max(2, name.Length / 3) ? best : null;
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}

/// <summary>A command line that names an unknown option or gives an option a value it cannot take.</summary>
public sealed class OptionException(string message) : ArgumentException(message);
