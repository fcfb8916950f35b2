using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using NAudio.CoreAudioApi;

namespace Mamba.Audio.Streaming.Wasapi;

/// <summary>A Windows audio endpoint: its ID (what device= takes, or a part of its name), name and direction.</summary>
public sealed record WasapiDevice(string Id, string Name, string Direction, bool IsDefault);

/// <summary>Windows' audio endpoints through NAudio's Core Audio wrappers (MMDeviceEnumerator).</summary>
[SupportedOSPlatform("windows")]
public static class WasapiDevices
{
    public static IReadOnlyList<WasapiDevice> List()
    {
        using var enumerator = new MMDeviceEnumerator();
        var list = new List<WasapiDevice>();
        foreach (var (flow, direction) in new[] { (DataFlow.Render, "output"), (DataFlow.Capture, "input") })
        {
            string? defaultId = enumerator.TryGetDefaultAudioEndpoint(flow, Role.Multimedia, out var d) ? d.ID : null;
            foreach (var device in enumerator.EnumerateAudioEndPoints(flow, DeviceState.Active))
                list.Add(new WasapiDevice(device.ID, device.FriendlyName, direction, device.ID == defaultId));
        }
        return list;
    }

    /// <summary>The endpoint <paramref name="name"/> names (its ID, or a part of its name that only one has), or the default one; otherwise an <see cref="AudioDeviceException"/> listing them.</summary>
    public static MMDevice Find(DataFlow flow, string? name)
    {
        string what = flow == DataFlow.Render ? "output" : "input";
        try
        {
            using var enumerator = new MMDeviceEnumerator();
            if (name is null)
                return enumerator.TryGetDefaultAudioEndpoint(flow, Role.Multimedia, out var fallback) ? fallback
                    : throw new AudioDeviceException($"WASAPI: Windows has no default audio {what} (is a sound device enabled in Sound settings?).");
            var active = enumerator.EnumerateAudioEndPoints(flow, DeviceState.Active).ToList();
            var matches = active.Where(d => d.ID == name).ToList();
            if (matches.Count == 0) matches = active.Where(d => d.FriendlyName.Contains(name, StringComparison.OrdinalIgnoreCase)).ToList();
            return matches.Count == 1 ? matches[0] : throw new AudioDeviceException(
                $"WASAPI: {(matches.Count == 0 ? "no" : matches.Count.ToString())} active {what} device{(matches.Count == 1 ? "" : "s")} named '{name}'" +
                $"{(matches.Count > 1 ? " (give more of the name, or the ID)" : "")}; there are: {string.Join("; ", active.Select(d => d.FriendlyName).DefaultIfEmpty("none"))} (`mamba-audio devices`).");
        }
        catch (COMException e)
        {
            throw new AudioDeviceException($"WASAPI: Windows' audio service did not answer ({e.Message}); is the Windows Audio service running?", e);
        }
    }

    /// <summary>
    /// Opens <paramref name="name"/>'s endpoint in shared mode for mono 32-bit float at <paramref name="sampleRate"/>
    /// (AUTOCONVERTPCM: Windows converts rate and channels), with a buffer of <paramref name="frames"/> and
    /// <paramref name="ready"/> signalled each period. <paramref name="doing"/> ("play to", "record from") is for the error.
    /// </summary>
    internal static (MMDevice Device, AudioClient Client) OpenShared(DataFlow flow, string? name, int sampleRate, long frames, AutoResetEvent ready, string doing)
    {
        var device = Find(flow, name);
        try
        {
            var client = device.CreateAudioClient();
            client.Initialize(AudioClientShareMode.Shared,
                AudioClientStreamFlags.EventCallback | AudioClientStreamFlags.AutoConvertPcm | AudioClientStreamFlags.SrcDefaultQuality,
                frames * 10_000_000 / sampleRate, 0, NAudio.Wave.WaveFormat.CreateIeeeFloatWaveFormat(sampleRate, 1), Guid.Empty);
            client.SetEventHandle(ready.SafeWaitHandle.DangerousGetHandle());
            return (device, client);
        }
        catch (Exception e) when (e is COMException or CoreAudioException)
        {
            device.Dispose();
            throw new AudioDeviceException($"WASAPI: cannot {doing} '{device.FriendlyName}' at {sampleRate} Hz mono: {e.Message}.", e);
        }
    }
}
