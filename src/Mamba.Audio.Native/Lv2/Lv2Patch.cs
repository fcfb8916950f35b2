using System.Runtime.InteropServices;

namespace Mamba.Audio.Native.Lv2;

/// <summary>
/// The checkpoint as an LV2 parameter (patch:writable, rdfs:range atom:Path): the URIDs the host's
/// urid:map gives for the atoms and patch messages, and the reading of the control port's atom
/// sequence for a patch:Set of it. Reading allocates nothing and trusts no size beyond the sequence's.
/// </summary>
internal sealed unsafe class Lv2Patch
{
    public const string Checkpoint = Lv2Exports.Uri + "#checkpoint";
    public const string MapFeature = "http://lv2plug.in/ns/ext/urid#map";

    public readonly uint AtomObject, AtomPath, AtomUrid, PatchSet, PatchProperty, PatchValue, CheckpointKey;

    private Lv2Patch(Func<string, uint> map)
    {
        AtomObject = map("http://lv2plug.in/ns/ext/atom#Object");
        AtomPath = map("http://lv2plug.in/ns/ext/atom#Path");
        AtomUrid = map("http://lv2plug.in/ns/ext/atom#URID");
        PatchSet = map("http://lv2plug.in/ns/ext/patch#Set");
        PatchProperty = map("http://lv2plug.in/ns/ext/patch#property");
        PatchValue = map("http://lv2plug.in/ns/ext/patch#value");
        CheckpointKey = map(Checkpoint);
    }

    /// <summary>The URIDs from the host's urid:map among <paramref name="features"/> (a null-terminated LV2_Feature* array); null when it gives none.</summary>
    public static Lv2Patch? From(nint features)
    {
        if (features == 0) return null;
        for (var f = (nint*)features; *f != 0; f++)
        {
            var uri = Marshal.PtrToStringUTF8(((nint*)*f)[0]);
            if (uri != MapFeature) continue;
            var data = (nint*)((nint*)*f)[1];          // LV2_URID_Map { handle; map(handle, uri) }
            if (data == null) return null;
            nint handle = data[0];
            var mapFunction = (delegate* unmanaged[Cdecl]<nint, byte*, uint>)data[1];
            return new Lv2Patch(uri =>
            {
                nint text = Marshal.StringToCoTaskMemUTF8(uri);
                try { return mapFunction(handle, (byte*)text); }
                finally { Marshal.FreeCoTaskMem(text); }
            });
        }
        return null;
    }

    private static uint Pad8(uint size) => (size + 7u) & ~7u;

    /// <summary>
    /// Reads an LV2_Atom_Sequence (atom header, then unit and pad, then events of a 64-bit time and an atom, each padded to 8 bytes)
    /// and passes the path of every patch:Set of the checkpoint to <paramref name="loader"/>.
    /// </summary>
    public void Read(byte* sequence, CheckpointLoader loader)
    {
        if (sequence == null) return;
        uint size = *(uint*)sequence;
        if (size < 8 || size > 1 << 20) return;
        byte* body = sequence + 8, end = body + size;
        for (byte* e = body + 8; e + 16 <= end;)
        {
            uint atomSize = *(uint*)(e + 8), atomType = *(uint*)(e + 12);
            byte* data = e + 16;
            if (atomSize > end - data) return;
            if (atomType == AtomObject) ReadObject(data, atomSize, loader);
            e = data + Pad8(atomSize);
        }
    }

    private void ReadObject(byte* body, uint size, CheckpointLoader loader)
    {
        if (size < 8 || *(uint*)(body + 4) != PatchSet) return;   // LV2_Atom_Object_Body { id; otype }
        uint property = 0;
        byte* value = null;
        uint valueSize = 0;
        byte* end = body + size;
        for (byte* p = body + 8; p + 16 <= end;)
        {
            uint key = *(uint*)p, atomSize = *(uint*)(p + 8), atomType = *(uint*)(p + 12);   // { key; context; LV2_Atom value }
            byte* data = p + 16;
            if (atomSize > end - data) return;
            if (key == PatchProperty && atomType == AtomUrid && atomSize >= 4) property = *(uint*)data;
            if (key == PatchValue && atomType == AtomPath)
            {
                value = data;
                valueSize = atomSize;
            }
            p = data + Pad8(atomSize);
        }
        if (property != CheckpointKey || value == null) return;
        var path = new ReadOnlySpan<byte>(value, (int)valueSize);
        int nul = path.IndexOf((byte)0);
        loader.Request(nul >= 0 ? path[..nul] : path);
    }
}
