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

    /// <summary>The split of a group: a pure function of (seed, group).</summary>
    public CorpusSplit SplitOf(string group)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{Seed}\n{group}"), hash);
        double u = (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));   // [0, 1)
        return u < ValidationFraction ? CorpusSplit.Validation : CorpusSplit.Train;
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
