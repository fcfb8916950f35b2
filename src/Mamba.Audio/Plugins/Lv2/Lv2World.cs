using System.Runtime.InteropServices;

namespace Mamba.Audio.Plugins.Lv2;

/// <summary>An LV2 plugin as lilv describes it; <see cref="Handle"/> is lilv's plugin, valid for the life of the process.</summary>
public sealed record Lv2Plugin(string Uri, string Name, string Class, string Library, IReadOnlyList<Lv2Port> Ports,
    IReadOnlyList<string> RequiredFeatures, int? LatencyPort, nint Handle)
{
    public IEnumerable<Lv2Port> AudioInputs => Ports.Where(p => p.Kind == Lv2PortKind.Audio && p.IsInput);
    public IEnumerable<Lv2Port> AudioOutputs => Ports.Where(p => p.Kind == Lv2PortKind.Audio && !p.IsInput);
    public IEnumerable<Lv2Port> ControlInputs => Ports.Where(p => p.Kind == Lv2PortKind.Control && p.IsInput);

    /// <summary>Why this host cannot run the plugin as a chain effect, or null: no audio in or out, a port it cannot connect, a feature it does not provide.</summary>
    public string? Problem()
    {
        if (!AudioInputs.Any() || !AudioOutputs.Any())
            return $"has {AudioInputs.Count()} audio inputs and {AudioOutputs.Count()} outputs; an effect needs at least one of each";
        if (Ports.FirstOrDefault(p => p.Kind is Lv2PortKind.Atom or Lv2PortKind.Event or Lv2PortKind.Other && !p.ConnectionOptional) is { } port)
            return $"port '{port.Symbol}' is {(port.Kind == Lv2PortKind.Other ? "of a kind" : "an " + port.Kind.ToString().ToLowerInvariant() + " port (MIDI, messages)")} " +
                "this host does not connect; it connects audio, control and CV ports";
        var missing = RequiredFeatures.Where(f => !Lv2Features.Provided.Contains(f)).ToList();
        if (missing.Count > 0)
            return $"requires {string.Join(", ", missing)}, which this host does not provide (it provides {string.Join(", ", Lv2Features.Provided)})";
        return null;
    }
}

/// <summary>
/// The system's LV2 plugins, read once through lilv ($LV2_PATH, else ~/.lv2, /usr/local/lib/lv2,
/// /usr/lib/lv2: lilv's own search). One lilv world serves the process; plugin libraries stay loaded
/// as in every LV2 host. A missing liblilv is an <see cref="ArgumentException"/> saying what to install.
/// </summary>
public static class Lv2World
{
    private static readonly object Gate = new();
    private static nint world;
    private static Dictionary<string, Lv2Plugin>? plugins;
    private static readonly HashSet<string> Bundles = new(StringComparer.Ordinal);

    /// <summary>Every plugin, by URI.</summary>
    public static IReadOnlyCollection<Lv2Plugin> All()
    {
        lock (Gate) return Load().Values.OrderBy(p => p.Uri, StringComparer.Ordinal).ToList();
    }

    /// <summary>A plugin by its URI; otherwise an error naming the plugins whose URI or name contains it.</summary>
    public static Lv2Plugin Find(string uri)
    {
        lock (Gate)
        {
            var all = Load();
            if (all.TryGetValue(uri, out var plugin)) return plugin;
            var near = all.Values.Where(p => p.Uri.Contains(uri, StringComparison.OrdinalIgnoreCase) || p.Name.Contains(uri, StringComparison.OrdinalIgnoreCase))
                .Select(p => p.Uri).Order(StringComparer.Ordinal).Take(8).ToList();
            throw new ArgumentException($"lv2 uri={uri}: no LV2 plugin has this URI" +
                (near.Count > 0 ? $"; did you mean {string.Join(", ", near)}?" : all.Count == 0
                    ? "; no LV2 plugin is installed (Debian: swh-lv2, mda-lv2, x42-plugins; or set LV2_PATH)."
                    : $" ({all.Count} are installed: `mamba-audio plugins --lv2` lists them)."));
        }
    }

    /// <summary>Adds the plugins of one bundle folder (a plugin that is not installed, such as a test's).</summary>
    public static void LoadBundle(string folder)
    {
        lock (Gate)
        {
            Load();
            var path = Path.GetFullPath(folder).TrimEnd('/') + "/";
            if (!Directory.Exists(path)) throw new ArgumentException($"LV2 bundle {folder}: no such folder.");
            if (!Bundles.Add(path)) return;
            nint uri = Lilv.lilv_new_file_uri(world, 0, path);
            Lilv.lilv_world_load_bundle(world, uri);
            Lilv.lilv_node_free(uri);
            plugins = null;
            Load();
        }
    }

    private static Dictionary<string, Lv2Plugin> Load()
    {
        if (plugins is not null) return plugins;
        if (world == 0)
        {
            try
            {
                world = Lilv.lilv_world_new();
            }
            catch (DllNotFoundException e)
            {
                throw new ArgumentException($"LV2: {Lilv.Library} is not installed (Debian: apt install liblilv-0-0); it is how LV2 plugins are found and loaded.", e);
            }
            Lilv.lilv_world_load_all(world);
        }
        var found = new Dictionary<string, Lv2Plugin>(StringComparer.Ordinal);
        nint all = Lilv.lilv_world_get_all_plugins(world);
        using var classes = new PortClasses(world);
        foreach (nint plugin in Lilv.Each(all, Lilv.lilv_plugins_begin, Lilv.lilv_plugins_is_end, Lilv.lilv_plugins_next, Lilv.lilv_plugins_get))
        {
            var described = Describe(plugin, classes);
            found[described.Uri] = described;
        }
        return plugins = found;
    }

    private static unsafe Lv2Plugin Describe(nint plugin, PortClasses classes)
    {
        var uri = Lilv.String(Lilv.lilv_plugin_get_uri(plugin))!;
        var name = Lilv.TakeString(Lilv.lilv_plugin_get_name(plugin)) ?? uri;
        var pluginClass = Lilv.lilv_plugin_get_class(plugin) is var c and not 0 ? Lilv.String(Lilv.lilv_plugin_class_get_label(c)) ?? "" : "";
        var library = Lilv.String(Lilv.lilv_plugin_get_library_uri(plugin)) ?? "";
        int count = (int)Lilv.lilv_plugin_get_num_ports(plugin);
        var min = new float[count];
        var max = new float[count];
        var defaults = new float[count];
        fixed (float* pMin = min, pMax = max, pDefault = defaults)
            Lilv.lilv_plugin_get_port_ranges_float(plugin, pMin, pMax, pDefault);
        var ports = new List<Lv2Port>(count);
        for (int i = 0; i < count; i++)
        {
            nint port = Lilv.lilv_plugin_get_port_by_index(plugin, (uint)i);
            bool Is(nint node) => Lilv.lilv_port_is_a(plugin, port, node);
            bool Has(nint node) => Lilv.lilv_port_has_property(plugin, port, node);
            var kind = Is(classes.Audio) ? Lv2PortKind.Audio : Is(classes.Control) ? Lv2PortKind.Control : Is(classes.CV) ? Lv2PortKind.CV
                : Is(classes.Atom) ? Lv2PortKind.Atom : Is(classes.Event) ? Lv2PortKind.Event : Lv2PortKind.Other;
            var points = new List<(string, float)>();
            nint scale = Lilv.lilv_port_get_scale_points(plugin, port);
            if (scale != 0)
            {
                foreach (nint point in Lilv.Each(scale, Lilv.lilv_scale_points_begin, Lilv.lilv_scale_points_is_end, Lilv.lilv_scale_points_next, Lilv.lilv_scale_points_get))
                {
                    nint value = Lilv.lilv_scale_point_get_value(point);
                    if (value != 0 && (Lilv.lilv_node_is_float(value) || Lilv.lilv_node_is_int(value)))
                        points.Add((Lilv.String(Lilv.lilv_scale_point_get_label(point)) ?? "", Lilv.lilv_node_as_float(value)));
                }
                Lilv.lilv_scale_points_free(scale);
            }
            var symbol = Lilv.String(Lilv.lilv_port_get_symbol(plugin, port)) ?? $"port{i}";
            ports.Add(new Lv2Port(i, symbol, Lilv.TakeString(Lilv.lilv_port_get_name(plugin, port)) ?? symbol, kind, Is(classes.Input),
                min[i], max[i], defaults[i], Has(classes.Integer), Has(classes.Toggled), Has(classes.SampleRate), Has(classes.ConnectionOptional),
                points.OrderBy(p => p.Item2).ToList()));
        }
        var features = new List<string>();
        nint required = Lilv.lilv_plugin_get_required_features(plugin);
        if (required != 0)
        {
            foreach (nint node in Lilv.Each(required, Lilv.lilv_nodes_begin, Lilv.lilv_nodes_is_end, Lilv.lilv_nodes_next, Lilv.lilv_nodes_get))
                if (Lilv.String(node) is { } feature) features.Add(feature);
            Lilv.lilv_nodes_free(required);
        }
        int? latency = Lilv.lilv_plugin_has_latency(plugin) ? (int)Lilv.lilv_plugin_get_latency_port_index(plugin) : null;
        return new Lv2Plugin(uri, name, pluginClass, library, ports, features, latency, plugin);
    }

    /// <summary>The URIs a port is tested against, made once per load.</summary>
    private sealed class PortClasses(nint world) : IDisposable
    {
        public readonly nint Audio = Lilv.lilv_new_uri(world, "http://lv2plug.in/ns/lv2core#AudioPort");
        public readonly nint Control = Lilv.lilv_new_uri(world, "http://lv2plug.in/ns/lv2core#ControlPort");
        public readonly nint CV = Lilv.lilv_new_uri(world, "http://lv2plug.in/ns/lv2core#CVPort");
        public readonly nint Atom = Lilv.lilv_new_uri(world, "http://lv2plug.in/ns/ext/atom#AtomPort");
        public readonly nint Event = Lilv.lilv_new_uri(world, "http://lv2plug.in/ns/ext/event#EventPort");
        public readonly nint Input = Lilv.lilv_new_uri(world, "http://lv2plug.in/ns/lv2core#InputPort");
        public readonly nint Integer = Lilv.lilv_new_uri(world, "http://lv2plug.in/ns/lv2core#integer");
        public readonly nint Toggled = Lilv.lilv_new_uri(world, "http://lv2plug.in/ns/lv2core#toggled");
        public readonly nint SampleRate = Lilv.lilv_new_uri(world, "http://lv2plug.in/ns/lv2core#sampleRate");
        public readonly nint ConnectionOptional = Lilv.lilv_new_uri(world, "http://lv2plug.in/ns/lv2core#connectionOptional");

        public void Dispose()
        {
            foreach (var node in new[] { Audio, Control, CV, Atom, Event, Input, Integer, Toggled, SampleRate, ConnectionOptional }) Lilv.lilv_node_free(node);
        }
    }
}
