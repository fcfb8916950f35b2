using Mamba.Audio.Chains;
using Mamba.Audio.Streaming;

namespace Mamba.Audio.Host.Commands;

/// <summary>The catalog the host's chains use: Mamba.Audio's built-in plugins and the sound card.</summary>
public static class ChainCatalog
{
    public static PluginCatalog Create()
    {
        var catalog = PluginCatalog.BuiltIn();
        catalog.Add("pulse", "sink", "the sound card through PulseAudio (play's default sink)", ["server", "device"], [], (s, _) =>
            s.Apply(new SoundCardSink(s.Optional("server"), s.Optional("device")), ["server", "device"]));
        return catalog;
    }
}
