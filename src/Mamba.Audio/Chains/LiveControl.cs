using Mamba.Audio.Plugins;

namespace Mamba.Audio.Chains;

/// <summary>
/// Changes a running chain's parameters from typed commands: "gain db=-6", "2 hz=800" (a stage by
/// name or by its position, 1 = the generator), several settings at once. A bad command is answered
/// with the reason and changes nothing; audio goes on.
/// </summary>
public sealed class LiveControl(Chain chain)
{
    /// <summary>Applies one command; returns what was changed, or throws <see cref="ArgumentException"/> saying why not.</summary>
    public string Apply(string command)
    {
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length < 2) throw new ArgumentException($"'{command}': expected a stage and key=value, e.g. \"gain db=-6\".");
        var stages = chain.Plugins.ToList();
        AudioPlugin plugin;
        if (int.TryParse(words[0], out int position))
            plugin = position >= 1 && position <= stages.Count ? stages[position - 1] : throw new ArgumentException($"stage {position}: the chain has stages 1..{stages.Count}.");
        else
        {
            var named = stages.Where(p => p.Name == words[0]).ToList();
            plugin = named.Count switch
            {
                1 => named[0],
                0 => throw new ArgumentException($"no stage named '{words[0]}'; the chain has {string.Join(", ", stages.Select(p => p.Name))}."),
                _ => throw new ArgumentException($"{named.Count} stages are named '{words[0]}': give its position (1..{stages.Count})."),
            };
        }
        var changes = new List<(string Name, float Value)>();
        foreach (var setting in words[1..])
        {
            int equals = setting.IndexOf('=');
            if (equals <= 0) throw new ArgumentException($"'{setting}': expected key=value.");
            string name = setting[..equals];
            var parameter = plugin.Parameters.FirstOrDefault(p => p.Name == name)
                ?? throw new ArgumentException($"{plugin.Name} has no parameter '{name}'; it has {(plugin.Parameters.Count == 0 ? "none" : string.Join(", ", plugin.Parameters.Select(p => p.Name)))}.");
            try
            {
                changes.Add((name, parameter.Parse(setting[(equals + 1)..])));
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{plugin.Name}: {e.Message}", e);
            }
        }
        foreach (var (name, value) in changes) plugin.Set(name, value);
        return $"{plugin.Name}: {string.Join(", ", changes.Select(c => $"{c.Name}={c.Value}"))}";
    }

    /// <summary>Every stage's parameters with their current values, one line each.</summary>
    public IEnumerable<string> Describe() =>
        chain.Plugins.Select((p, i) => $"{i + 1} {p.Name}" + (p.Parameters.Count == 0 ? "" : ": " + string.Join(", ", p.Parameters.Select(q => $"{q.Name}={p.Get(q.Name)}"))));
}
