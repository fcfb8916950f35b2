using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Mamba.Audio.Corpora;

/// <summary>
/// How files are split between train and validation: by group, where a group's split depends
/// only on (<paramref name="Seed"/>, group name). The group is the first capture group of
/// <paramref name="GroupBy"/> matched against the file's relative path ('/' separators), or the
/// path itself when there is no rule or it does not match. A group goes to validation when
/// SHA-256("seed\ngroup") read as a fraction in [0, 1) is below <paramref name="ValidationFraction"/>.
/// Adding files later therefore never moves an existing group, and raising the fraction only
/// moves groups from train to validation.
/// </summary>
/// <param name="Seed">Changes which groups are drawn (default 1).</param>
/// <param name="ValidationFraction">Expected share of groups held out, in [0, 1] (default 0.1).</param>
/// <param name="GroupBy">A .NET regular expression with at least one capture group, or null.</param>
public sealed record CorpusSplitRule(long Seed = 1, double ValidationFraction = 0.1, string? GroupBy = null)
{
    private Regex? regex;

    /// <summary>Throws <see cref="ArgumentException"/> naming the field for a fraction outside [0, 1] or a bad pattern.</summary>
    public CorpusSplitRule Validate()
    {
        if (!(ValidationFraction >= 0 && ValidationFraction <= 1))
            throw new ArgumentException($"validation fraction {ValidationFraction}: must be in [0, 1].", nameof(ValidationFraction));
        _ = Pattern();
        return this;
    }

    /// <summary>The group a file belongs to.</summary>
    public string GroupOf(string relativePath)
    {
        var pattern = Pattern();
        if (pattern is null) return relativePath;
        var match = pattern.Match(relativePath);
        return match.Success && match.Groups[1].Success ? match.Groups[1].Value : relativePath;
    }

    /// <summary>The split of a group by its hash alone: a pure function of (seed, group).</summary>
    public CorpusSplit SplitOf(string group) => Score(group) < ValidationFraction ? CorpusSplit.Validation : CorpusSplit.Train;

    /// <summary>SHA-256("seed\ngroup") read as a fraction in [0, 1).</summary>
    public double Score(string group)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{Seed}\n{group}"), hash);
        return (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>
    /// The split of every group, with one guarantee the hash alone cannot give on small corpora:
    /// with a fraction above 0 and at least two groups, at least one group is held out (the one of
    /// lowest score, so the choice is deterministic), and with a fraction below 1 at least one
    /// trains. <paramref name="note"/> says what was adjusted, or why there is no validation split.
    /// </summary>
    public IReadOnlyDictionary<string, CorpusSplit> Assign(IEnumerable<string> groups, out string? note)
    {
        var distinct = groups.Distinct(StringComparer.Ordinal).OrderBy(g => g, StringComparer.Ordinal).ToList();
        var splits = distinct.ToDictionary(g => g, SplitOf, StringComparer.Ordinal);
        note = null;
        if (ValidationFraction <= 0 || distinct.Count == 0) return splits;
        if (distinct.Count == 1)
        {
            note = $"one group ('{distinct[0]}') only: nothing can be held out without leaving nothing to train on, so there is no validation split (add files, or a --group-by that gives two or more groups).";
            splits[distinct[0]] = CorpusSplit.Train;
            return splits;
        }
        if (!splits.Values.Contains(CorpusSplit.Validation))
        {
            var lowest = distinct.MinBy(Score)!;
            splits[lowest] = CorpusSplit.Validation;
            note = $"validation fraction {ValidationFraction} held out none of {distinct.Count} groups by hash (seed {Seed}); '{lowest}', the group of lowest hash, is held out so the corpus has a validation split.";
        }
        else if (ValidationFraction < 1 && !splits.Values.Contains(CorpusSplit.Train))
        {
            var highest = distinct.MaxBy(Score)!;
            splits[highest] = CorpusSplit.Train;
            note = $"validation fraction {ValidationFraction} held out all {distinct.Count} groups by hash (seed {Seed}); '{highest}', the group of highest hash, trains so the corpus has a training split.";
        }
        return splits;
    }

    private Regex? Pattern()
    {
        if (GroupBy is null) return null;
        if (regex is not null) return regex;
        Regex r;
        try
        {
            r = new Regex(GroupBy, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"group-by \"{GroupBy}\": not a valid regular expression ({e.Message}).", nameof(GroupBy), e);
        }
        if (r.GetGroupNumbers().Length < 2)
            throw new ArgumentException($"group-by \"{GroupBy}\": needs a capture group, e.g. \"^([^_]+)_\"; its first group names the file's group.", nameof(GroupBy));
        return regex = r;
    }
}
