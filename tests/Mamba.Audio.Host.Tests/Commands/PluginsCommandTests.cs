using Mamba.Audio.Host.Tests.Support;

namespace Mamba.Audio.Host.Tests.Commands;

/// <summary>`mamba-audio plugins`: the built-in catalog, and the system's LADSPA and LV2 plugins (Debian packages .ci/run installs), listed and usable.</summary>
public class PluginsCommandTests : IDisposable
{
    private readonly TempFolder folder = new();

    [Fact]
    public void Lv2Listing_ShowsParametersAndWhyAPluginCannotRun()
    {
        var result = HostRun.Run("plugins", "--lv2", "--rate", "16000");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("http://plugin.org.uk/swh-plugins/amp", result.Output);
        Assert.Contains("gain: -70..70 (default 0)", result.Output);
        Assert.Contains("cutoff: 1.6..7200 (default 1801.2)", result.Output);                         // scaled by --rate
        Assert.Matches(@"MDA DX10.*has 0 audio inputs and 2 outputs", result.Output);
        Assert.Matches(@"\d+ LV2 plugins, \d+ usable as chain effects", result.Output);
    }

    [Fact]
    public void LadspaListing_ShowsTheInstalledLibraries()
    {
        var result = HostRun.Run("plugins", "--ladspa");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("amp_mono", result.Output);
        Assert.Contains("tap_stereo_echo", result.Output);
    }

    [Fact]
    public void AChainWithLv2AndLadspaEffects_Renders()
    {
        var path = folder.File("out.wav");
        var result = HostRun.Run("render", "--chain",
            $"tone hz=330 | lv2 uri=http://plugin.org.uk/swh-plugins/amp gain=-6 | ladspa file=amp label=amp_mono gain=0.5 | lv2 uri=http://drobilla.net/plugins/mda/Ambience | wav path={path}",
            "--seconds", "0.5");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.True(new FileInfo(path).Length > 44 + 2 * 24000 - 100, result.Output);
    }

    [Fact]
    public void AnUnknownLv2Uri_IsAClearErrorWithSuggestions()
    {
        var result = HostRun.Run("render", "--chain", $"tone | lv2 uri=lowpass_iir | wav path={folder.File("x.wav")}", "--seconds", "0.1");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no LV2 plugin has this URI; did you mean http://plugin.org.uk/swh-plugins/lowpass_iir", result.Output);
        Assert.False(File.Exists(folder.File("x.wav")));
    }

    public void Dispose() => folder.Dispose();
}
