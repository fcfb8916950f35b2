using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mamba.Audio.Streaming;

/// <summary>A PulseAudio sink or source: its name (what device= takes) and description.</summary>
public sealed record PulseDevice(string Name, string Description, string Direction, bool IsDefault);

/// <summary>
/// The sinks and sources of a PulseAudio (or PipeWire-Pulse) server, read through libpulse.so.0's
/// asynchronous API (the simple API cannot list): connect a context on a private main loop, ask for
/// the server info (its defaults) and the sink and source lists, iterate until each is answered.
/// </summary>
public static unsafe class PulseDevices
{
    private const string Library = "libpulse.so.0";
    private const int ContextReady = 4, ContextFailed = 5, ContextTerminated = 6, OperationRunning = 0;

    /// <summary>Every sink and source of <paramref name="server"/> (null: the default, or $PULSE_SERVER); an <see cref="AudioDeviceException"/> when no server answers.</summary>
    public static IReadOnlyList<PulseDevice> List(string? server = null, int timeoutMs = 5000)
    {
        nint loop, context;
        try
        {
            loop = pa_mainloop_new();
        }
        catch (DllNotFoundException e)
        {
            throw new AudioDeviceException($"PulseAudio: {Library} is not installed (Debian: apt install libpulse0).", e);
        }
        var found = new Collected();
        var handle = GCHandle.Alloc(found);
        context = pa_context_new(pa_mainloop_get_api(loop), "mamba-audio devices");
        try
        {
            var deadline = Environment.TickCount64 + timeoutMs;
            if (pa_context_connect(context, server, 0, 0) < 0) throw NoServer(server, context);
            while (true)
            {
                int state = pa_context_get_state(context);
                if (state == ContextReady) break;
                if (state is ContextFailed or ContextTerminated || Environment.TickCount64 > deadline) throw NoServer(server, context);
                pa_mainloop_iterate(loop, 1, 0);
            }
            nint data = GCHandle.ToIntPtr(handle);
            Wait(loop, pa_context_get_server_info(context, &OnServer, data), deadline);
            Wait(loop, pa_context_get_sink_info_list(context, &OnSink, data), deadline);
            Wait(loop, pa_context_get_source_info_list(context, &OnSource, data), deadline);
            return found.Devices.Select(d => d with { IsDefault = d.Name == (d.Direction == "output" ? found.DefaultSink : found.DefaultSource) }).ToList();
        }
        finally
        {
            pa_context_disconnect(context);
            pa_context_unref(context);
            pa_mainloop_free(loop);
            handle.Free();
        }
    }

    private static AudioDeviceException NoServer(string? server, nint context) =>
        new($"PulseAudio: no server answers at {server ?? Environment.GetEnvironmentVariable("PULSE_SERVER") ?? "the default address"}: " +
            $"{Marshal.PtrToStringUTF8(pa_strerror(pa_context_errno(context)))}. Is a PulseAudio or PipeWire server running (pactl info)?");

    private static void Wait(nint loop, nint operation, long deadline)
    {
        if (operation == 0) throw new AudioDeviceException("PulseAudio: the server refused to list its devices.");
        try
        {
            while (pa_operation_get_state(operation) == OperationRunning)
            {
                if (Environment.TickCount64 > deadline) throw new AudioDeviceException("PulseAudio: the server did not list its devices in time.");
                pa_mainloop_iterate(loop, 1, 0);
            }
        }
        finally { pa_operation_unref(operation); }
    }

    private sealed class Collected
    {
        public readonly List<PulseDevice> Devices = [];
        public string? DefaultSink, DefaultSource;
    }

    private static Collected Of(nint data) => (Collected)GCHandle.FromIntPtr(data).Target!;

    // pa_sink_info and pa_source_info begin { const char* name; uint32_t index; const char* description; ... };
    // pa_server_info begins { user_name, host_name, server_version, server_name; pa_sample_spec (12 bytes, padded to 16); default_sink_name, default_source_name; ... }.
    private static void Add(nint info, int eol, nint data, string direction)
    {
        if (eol != 0 || info == 0) return;
        var name = Marshal.PtrToStringUTF8(*(nint*)info) ?? "";
        var description = Marshal.PtrToStringUTF8(*(nint*)(info + 16)) ?? "";
        Of(data).Devices.Add(new PulseDevice(name, description, direction, false));
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnSink(nint context, nint info, int eol, nint data) => Add(info, eol, data, "output");

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnSource(nint context, nint info, int eol, nint data) => Add(info, eol, data, "input");

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnServer(nint context, nint info, nint data)
    {
        if (info == 0) return;
        var collected = Of(data);
        collected.DefaultSink = Marshal.PtrToStringUTF8(*(nint*)(info + 48));
        collected.DefaultSource = Marshal.PtrToStringUTF8(*(nint*)(info + 56));
    }

    [DllImport(Library)] private static extern nint pa_mainloop_new();
    [DllImport(Library)] private static extern nint pa_mainloop_get_api(nint loop);
    [DllImport(Library)] private static extern int pa_mainloop_iterate(nint loop, int block, nint retval);
    [DllImport(Library)] private static extern void pa_mainloop_free(nint loop);
    [DllImport(Library)] private static extern nint pa_context_new(nint api, [MarshalAs(UnmanagedType.LPUTF8Str)] string name);
    [DllImport(Library)] private static extern int pa_context_connect(nint context, [MarshalAs(UnmanagedType.LPUTF8Str)] string? server, int flags, nint api);
    [DllImport(Library)] private static extern int pa_context_get_state(nint context);
    [DllImport(Library)] private static extern int pa_context_errno(nint context);
    [DllImport(Library)] private static extern void pa_context_disconnect(nint context);
    [DllImport(Library)] private static extern void pa_context_unref(nint context);
    [DllImport(Library)] private static extern nint pa_context_get_server_info(nint context, delegate* unmanaged[Cdecl]<nint, nint, nint, void> callback, nint data);
    [DllImport(Library)] private static extern nint pa_context_get_sink_info_list(nint context, delegate* unmanaged[Cdecl]<nint, nint, int, nint, void> callback, nint data);
    [DllImport(Library)] private static extern nint pa_context_get_source_info_list(nint context, delegate* unmanaged[Cdecl]<nint, nint, int, nint, void> callback, nint data);
    [DllImport(Library)] private static extern int pa_operation_get_state(nint operation);
    [DllImport(Library)] private static extern void pa_operation_unref(nint operation);
    [DllImport(Library)] private static extern nint pa_strerror(int error);
}
