using System.Runtime.InteropServices;

namespace Mamba.Audio.Plugins.Lv2;

/// <summary>
/// liblilv-0.so.0, the LV2 host library every Linux LV2 host uses (Ardour, Carla, jalv), by P/Invoke
/// of its versioned name. Lilv reads the plugins' Turtle descriptions and loads their binaries;
/// running an instance goes through the plugin's LV2_Descriptor, whose functions lilv.h calls inline.
/// </summary>
internal static unsafe class Lilv
{
    public const string Library = "liblilv-0.so.0";

    // LV2_Descriptor (lv2/core/lv2.h): const char* URI; then instantiate, connect_port, activate, run, deactivate, cleanup, extension_data.
    public const int ConnectPortOffset = 16, ActivateOffset = 24, RunOffset = 32, DeactivateOffset = 40;

    /// <summary>LilvInstance (lilv.h, struct LilvInstanceImpl): the plugin's descriptor and its handle.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Instance { public nint Descriptor; public nint Handle; public nint Private; }

    public static string? String(nint node) => node == 0 ? null : Marshal.PtrToStringUTF8(lilv_node_as_string(node));

    /// <summary>The text of a node the caller owns, which is freed.</summary>
    public static string? TakeString(nint node)
    {
        try { return String(node); }
        finally { if (node != 0) lilv_node_free(node); }
    }

    public static IEnumerable<nint> Each(nint collection, Func<nint, nint> begin, Func<nint, nint, bool> isEnd, Func<nint, nint, nint> next, Func<nint, nint, nint> get)
    {
        for (nint i = begin(collection); !isEnd(collection, i); i = next(collection, i)) yield return get(collection, i);
    }

    [DllImport(Library)] public static extern nint lilv_world_new();
    [DllImport(Library)] public static extern void lilv_world_load_all(nint world);
    [DllImport(Library)] public static extern void lilv_world_load_bundle(nint world, nint bundleUri);
    [DllImport(Library)] public static extern nint lilv_world_get_all_plugins(nint world);

    [DllImport(Library)] public static extern nint lilv_plugins_begin(nint plugins);
    [DllImport(Library)] public static extern nint lilv_plugins_next(nint plugins, nint i);
    [DllImport(Library)][return: MarshalAs(UnmanagedType.U1)] public static extern bool lilv_plugins_is_end(nint plugins, nint i);
    [DllImport(Library)] public static extern nint lilv_plugins_get(nint plugins, nint i);
    [DllImport(Library)] public static extern nint lilv_plugins_get_by_uri(nint plugins, nint uri);

    [DllImport(Library)] public static extern nint lilv_new_uri(nint world, [MarshalAs(UnmanagedType.LPUTF8Str)] string uri);
    [DllImport(Library)] public static extern nint lilv_new_file_uri(nint world, nint host, [MarshalAs(UnmanagedType.LPUTF8Str)] string path);
    [DllImport(Library)] public static extern void lilv_node_free(nint node);
    [DllImport(Library)] public static extern nint lilv_node_as_string(nint node);
    [DllImport(Library)][return: MarshalAs(UnmanagedType.U1)] public static extern bool lilv_node_is_float(nint node);
    [DllImport(Library)][return: MarshalAs(UnmanagedType.U1)] public static extern bool lilv_node_is_int(nint node);
    [DllImport(Library)] public static extern float lilv_node_as_float(nint node);

    [DllImport(Library)] public static extern nint lilv_nodes_begin(nint nodes);
    [DllImport(Library)] public static extern nint lilv_nodes_next(nint nodes, nint i);
    [DllImport(Library)][return: MarshalAs(UnmanagedType.U1)] public static extern bool lilv_nodes_is_end(nint nodes, nint i);
    [DllImport(Library)] public static extern nint lilv_nodes_get(nint nodes, nint i);
    [DllImport(Library)] public static extern void lilv_nodes_free(nint nodes);

    [DllImport(Library)] public static extern nint lilv_plugin_get_uri(nint plugin);
    [DllImport(Library)] public static extern nint lilv_plugin_get_name(nint plugin);
    [DllImport(Library)] public static extern nint lilv_plugin_get_class(nint plugin);
    [DllImport(Library)] public static extern nint lilv_plugin_class_get_label(nint pluginClass);
    [DllImport(Library)] public static extern nint lilv_plugin_get_library_uri(nint plugin);
    [DllImport(Library)] public static extern uint lilv_plugin_get_num_ports(nint plugin);
    [DllImport(Library)] public static extern void lilv_plugin_get_port_ranges_float(nint plugin, float* min, float* max, float* defaults);
    [DllImport(Library)] public static extern nint lilv_plugin_get_port_by_index(nint plugin, uint index);
    [DllImport(Library)] public static extern nint lilv_plugin_get_required_features(nint plugin);
    [DllImport(Library)][return: MarshalAs(UnmanagedType.U1)] public static extern bool lilv_plugin_has_latency(nint plugin);
    [DllImport(Library)] public static extern uint lilv_plugin_get_latency_port_index(nint plugin);
    [DllImport(Library)] public static extern nint lilv_plugin_instantiate(nint plugin, double sampleRate, nint features);
    [DllImport(Library)] public static extern void lilv_instance_free(nint instance);

    [DllImport(Library)][return: MarshalAs(UnmanagedType.U1)] public static extern bool lilv_port_is_a(nint plugin, nint port, nint portClass);
    [DllImport(Library)][return: MarshalAs(UnmanagedType.U1)] public static extern bool lilv_port_has_property(nint plugin, nint port, nint property);
    [DllImport(Library)] public static extern nint lilv_port_get_symbol(nint plugin, nint port);
    [DllImport(Library)] public static extern nint lilv_port_get_name(nint plugin, nint port);
    [DllImport(Library)] public static extern nint lilv_port_get_scale_points(nint plugin, nint port);

    [DllImport(Library)] public static extern nint lilv_scale_points_begin(nint points);
    [DllImport(Library)] public static extern nint lilv_scale_points_next(nint points, nint i);
    [DllImport(Library)][return: MarshalAs(UnmanagedType.U1)] public static extern bool lilv_scale_points_is_end(nint points, nint i);
    [DllImport(Library)] public static extern nint lilv_scale_points_get(nint points, nint i);
    [DllImport(Library)] public static extern void lilv_scale_points_free(nint points);
    [DllImport(Library)] public static extern nint lilv_scale_point_get_label(nint point);
    [DllImport(Library)] public static extern nint lilv_scale_point_get_value(nint point);
}
