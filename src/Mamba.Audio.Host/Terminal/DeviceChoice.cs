using System.Text.RegularExpressions;

namespace Mamba.Audio.Host.Terminal;

/// <summary>The syntax of a --device value, checked before anything loads (resolving it needs libtorch).</summary>
public static partial class DeviceChoice
{
    public static bool IsValid(string choice) => Pattern().IsMatch(choice.Trim().ToLowerInvariant());

    [GeneratedRegex("^(auto|cpu|cuda(:[0-9]{1,3})?)$")]
    private static partial Regex Pattern();
}
