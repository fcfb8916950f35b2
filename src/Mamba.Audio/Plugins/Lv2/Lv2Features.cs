using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mamba.Audio.Plugins.Lv2;

/// <summary>
/// The host features an LV2 plugin may require, passed to instantiate as a null-terminated array of
/// LV2_Feature: urid:map and urid:unmap (one URI table for the process), buf-size:boundedBlockLength
/// (a chain never runs more than its block), and options:options with the block bounds and the sample
/// rate. Plugins map URIs while they are made, off the audio path; the table's lock is never taken there.
/// </summary>
public static unsafe class Lv2Features
{
    public const string Map = "http://lv2plug.in/ns/ext/urid#map", Unmap = "http://lv2plug.in/ns/ext/urid#unmap",
        BoundedBlockLength = "http://lv2plug.in/ns/ext/buf-size#boundedBlockLength", Options = "http://lv2plug.in/ns/ext/options#options";

    /// <summary>The required features this host satisfies (others make a plugin refuse with their names).</summary>
    public static readonly IReadOnlySet<string> Provided = new SortedSet<string>(StringComparer.Ordinal) { Map, Unmap, BoundedBlockLength, Options };

    private static readonly Dictionary<string, uint> Ids = new(StringComparer.Ordinal);
    private static readonly List<nint> Uris = [0];   // URID 0 means none; unmap returns the copies, which live as long as the process
    private static readonly nint MapData, UnmapData;

    static Lv2Features()
    {
        // LV2_URID_Map { handle; map(handle, uri) } and LV2_URID_Unmap { handle; unmap(handle, urid) }, made once.
        MapData = (nint)NativeMemory.AllocZeroed(2, (nuint)sizeof(nint));
        ((nint*)MapData)[1] = (nint)(delegate* unmanaged[Cdecl]<nint, byte*, uint>)&MapUri;
        UnmapData = (nint)NativeMemory.AllocZeroed(2, (nuint)sizeof(nint));
        ((nint*)UnmapData)[1] = (nint)(delegate* unmanaged[Cdecl]<nint, uint, byte*>)&UnmapUri;
    }

    /// <summary>The URID of <paramref name="uri"/> (the plugin sees the same number).</summary>
    public static uint Id(string uri)
    {
        lock (Ids)
        {
            if (Ids.TryGetValue(uri, out uint id)) return id;
            id = (uint)Uris.Count;
            Uris.Add(Marshal.StringToCoTaskMemUTF8(uri));
            Ids[uri] = id;
            return id;
        }
    }

    public static string? UriOf(uint id)
    {
        lock (Ids) return id > 0 && id < Uris.Count ? Marshal.PtrToStringUTF8(Uris[(int)id]) : null;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static uint MapUri(nint handle, byte* uri) => uri == null ? 0 : Id(Marshal.PtrToStringUTF8((nint)uri)!);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static byte* UnmapUri(nint handle, uint urid)
    {
        lock (Ids) return urid > 0 && urid < Uris.Count ? (byte*)Uris[(int)urid] : null;
    }

    /// <summary>The features for one instance at <paramref name="sampleRate"/>, blocks of 1..<paramref name="maxBlock"/>; dispose it after the instance.</summary>
    public static Lv2FeatureSet For(int sampleRate, int maxBlock) => new(sampleRate, maxBlock, MapData, UnmapData);
}

/// <summary>One instance's feature array (LV2_Feature* [], null-terminated) and what it points to, in native memory it owns.</summary>
public sealed unsafe class Lv2FeatureSet : IDisposable
{
    // LV2_Options_Option { context, subject, key, size, type (uint32 each); const void* value } is 32 bytes; a zeroed one ends the list.
    private const int OptionSize = 32, OptionCount = 3, FeatureCount = 4;
    private byte* options;
    private int* optionValues;
    private nint* features;       // LV2_Feature { const char* URI; void* data } x FeatureCount
    private nint* array;          // pointers to them, then null
    private readonly nint[] uris = new nint[FeatureCount];

    internal Lv2FeatureSet(int sampleRate, int maxBlock, nint mapData, nint unmapData)
    {
        options = (byte*)NativeMemory.AllocZeroed(OptionSize * (OptionCount + 1));
        optionValues = (int*)NativeMemory.AllocZeroed(OptionCount, sizeof(int));
        optionValues[0] = 1;
        optionValues[1] = maxBlock;
        ((float*)optionValues)[2] = sampleRate;
        Option(0, "http://lv2plug.in/ns/ext/buf-size#minBlockLength", "http://lv2plug.in/ns/ext/atom#Int");
        Option(1, "http://lv2plug.in/ns/ext/buf-size#maxBlockLength", "http://lv2plug.in/ns/ext/atom#Int");
        Option(2, "http://lv2plug.in/ns/ext/parameters#sampleRate", "http://lv2plug.in/ns/ext/atom#Float");

        features = (nint*)NativeMemory.AllocZeroed(2 * FeatureCount, (nuint)sizeof(nint));
        array = (nint*)NativeMemory.AllocZeroed(FeatureCount + 1, (nuint)sizeof(nint));
        (string Uri, nint Data)[] entries = [(Lv2Features.Map, mapData), (Lv2Features.Unmap, unmapData), (Lv2Features.BoundedBlockLength, 0), (Lv2Features.Options, (nint)options)];
        for (int i = 0; i < FeatureCount; i++)
        {
            uris[i] = Marshal.StringToCoTaskMemUTF8(entries[i].Uri);
            features[2 * i] = uris[i];
            features[2 * i + 1] = entries[i].Data;
            array[i] = (nint)(features + 2 * i);
        }
    }

    /// <summary>What instantiate takes.</summary>
    public nint Array => (nint)array;

    private void Option(int i, string key, string type)
    {
        var option = (uint*)(options + OptionSize * i);
        option[2] = Lv2Features.Id(key);
        option[3] = sizeof(int);
        option[4] = Lv2Features.Id(type);
        *(int**)(options + OptionSize * i + 24) = optionValues + i;
    }

    public void Dispose()
    {
        foreach (var uri in uris) Marshal.FreeCoTaskMem(uri);
        System.Array.Clear(uris);
        NativeMemory.Free(options); NativeMemory.Free(optionValues); NativeMemory.Free(features); NativeMemory.Free(array);
        options = null; optionValues = null; features = null; array = null;
    }
}
