using System.Reflection;
using System.Runtime.Loader;
using Mamba.Audio.Chains;

namespace Mamba.Audio.Plugins.Managed;

/// <summary>
/// Managed plugins from a folder of assemblies. Each assembly loads in its own
/// <see cref="AssemblyLoadContext"/>, with its own dependencies resolved from beside it, while the
/// plugin contract (Mamba.Audio, Mamba.Core) comes from the host, so one plugin's libraries never
/// clash with another's or the host's. A plugin is a public non-abstract class deriving
/// <see cref="Generator"/>, <see cref="Effect"/> or <see cref="Sink"/> with a public parameterless
/// constructor. An assembly that cannot be loaded, or a plugin whose constructor throws, is
/// reported (<see cref="Load"/> returns the problems) and the host goes on without it.
/// </summary>
public static class PluginAssemblies
{
    /// <summary>Adds every plugin found in <paramref name="folder"/>'s *.dll to <paramref name="catalog"/>; returns what could not be loaded, and why.</summary>
    public static IReadOnlyList<string> Load(string folder, PluginCatalog catalog)
    {
        var problems = new List<string>();
        if (!Directory.Exists(folder)) return [$"{folder}: no such plugins folder."];
        foreach (var path in Directory.GetFiles(folder, "*.dll").Order(StringComparer.Ordinal))
        {
            Assembly assembly;
            try
            {
                assembly = new PluginLoadContext(path).LoadFromAssemblyPath(Path.GetFullPath(path));
            }
            catch (Exception e) when (e is BadImageFormatException or FileLoadException or FileNotFoundException)
            {
                problems.Add($"{path}: not a .NET plugin assembly ({e.Message})");
                continue;
            }
            Type[] types;
            try
            {
                types = assembly.GetExportedTypes();
            }
            catch (Exception e) when (e is ReflectionTypeLoadException or FileNotFoundException or FileLoadException or TypeLoadException)
            {
                problems.Add($"{path}: its types cannot be loaded ({e.Message}); built against another Mamba.Audio?");
                continue;
            }
            foreach (var type in types.Where(t => !t.IsAbstract && typeof(AudioPlugin).IsAssignableFrom(t)))
            {
                if (type.GetConstructor(Type.EmptyTypes) is null)
                {
                    problems.Add($"{path}: {type.FullName} has no public parameterless constructor.");
                    continue;
                }
                AudioPlugin sample;
                try
                {
                    sample = (AudioPlugin)Activator.CreateInstance(type)!;
                }
                catch (TargetInvocationException e)
                {
                    problems.Add($"{path}: {type.FullName} failed to construct: {e.InnerException?.Message ?? e.Message}");
                    continue;
                }
                using (sample)
                {
                    string kind = sample switch { Generator => "generator", Effect => "effect", Sink => "sink", _ => "plugin" };
                    catalog.Add(sample.Name, kind, $"{type.FullName} from {Path.GetFileName(path)}", [], sample.Parameters,
                        (settings, _) => settings.Apply((AudioPlugin)Activator.CreateInstance(type)!, []));
                }
            }
        }
        return problems;
    }

    private sealed class PluginLoadContext(string path) : AssemblyLoadContext($"plugin {Path.GetFileName(path)}")
    {
        private readonly AssemblyDependencyResolver resolver = new(Path.GetFullPath(path));

        /// <summary>Names of the assemblies the host itself can load (its trusted platform assemblies).</summary>
        private static readonly HashSet<string> HostAssemblies = new(
            ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(Path.GetFileNameWithoutExtension).OfType<string>(), StringComparer.OrdinalIgnoreCase);

        protected override Assembly? Load(AssemblyName name)
        {
            // The contract is shared: whatever the host has (Mamba.Audio, Mamba.Core, the framework) comes from the
            // host, so a plugin's types are the host's, even when a copy of Mamba.Core sits beside the plugin.
            if (name.Name is { } n && (HostAssemblies.Contains(n) || Default.Assemblies.Any(a => a.GetName().Name == n))) return null;
            return resolver.ResolveAssemblyToPath(name) is { } file ? LoadFromAssemblyPath(file) : null;
        }

        protected override nint LoadUnmanagedDll(string unmanagedDllName) =>
            resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } file ? LoadUnmanagedDllFromPath(file) : 0;
    }
}
