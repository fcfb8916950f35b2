using System.Globalization;
using System.Text;

namespace Mamba.Audio.Native.Lv2;

/// <summary>The LV2 bundle's Turtle, written from <see cref="VoicePorts"/> so the description cannot drift from what the library runs.</summary>
public static class Lv2Turtle
{
    public const string Binary = "mamba_audio.so";

    public static string Manifest() => $$"""
        @prefix lv2: <http://lv2plug.in/ns/lv2core#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

        <{{Lv2Exports.Uri}}> a lv2:Plugin ; lv2:binary <{{Binary}}> ; rdfs:seeAlso <mamba.ttl> .

        """;

    public static string Plugin()
    {
        static string F(float v) => ((double)v).ToString("0.0######", CultureInfo.InvariantCulture);
        var ports = new List<string>();
        foreach (var p in VoicePorts.All)
        {
            var text = new StringBuilder();
            text.Append($"[ a lv2:{(p.IsInput ? "Input" : "Output")}Port, lv2:{(p.IsAudio ? "Audio" : "Control")}Port ; lv2:index {p.Index} ; lv2:symbol \"{p.Symbol}\" ; lv2:name \"{p.Name}\"");
            if (!p.IsAudio)
            {
                text.Append($" ; lv2:default {F(p.Default)} ; lv2:minimum {F(p.Min)} ; lv2:maximum {F(p.Max)}");
                if (p.Integer) text.Append(" ; lv2:portProperty lv2:integer");
                if (p.Choices is { } choices)
                    text.Append(" ; lv2:portProperty lv2:enumeration ; lv2:scalePoint " +
                        string.Join(", ", choices.Select((c, i) => $"[ rdfs:label \"{c}\" ; rdf:value {F(i)} ]")));
                if (p.Index == VoicePorts.Latency) text.Append(" ; lv2:designation lv2:latency ; lv2:portProperty lv2:reportsLatency");
            }
            ports.Add(text.Append(" ]").ToString());
        }
        ports.Add($"[ a lv2:InputPort, atom:AtomPort ; atom:bufferType atom:Sequence ; atom:supports patch:Message ; lv2:designation lv2:control ; " +
            $"lv2:portProperty lv2:connectionOptional ; lv2:index {VoicePorts.Lv2Control} ; lv2:symbol \"control\" ; lv2:name \"Control\" ]");
        return $$"""
            @prefix lv2: <http://lv2plug.in/ns/lv2core#> .
            @prefix atom: <http://lv2plug.in/ns/ext/atom#> .
            @prefix patch: <http://lv2plug.in/ns/ext/patch#> .
            @prefix state: <http://lv2plug.in/ns/ext/state#> .
            @prefix urid: <http://lv2plug.in/ns/ext/urid#> .
            @prefix doap: <http://usefulinc.com/ns/doap#> .
            @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
            @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

            <{{Lv2Patch.Checkpoint}}>
                a lv2:Parameter ;
                rdfs:label "Checkpoint" ;
                rdfs:comment "A checkpoint folder written by mamba-audio (config.json and model.safetensors)" ;
                rdfs:range atom:Path .

            <{{Lv2Exports.Uri}}>
                a lv2:Plugin, lv2:GeneratorPlugin ;
                lv2:optionalFeature urid:map ;
                lv2:extensionData state:interface ;
                patch:writable <{{Lv2Patch.Checkpoint}}> ;
                doap:name "Mamba.Audio generator" ;
                doap:license <https://opensource.org/licenses/MIT> ;
                lv2:optionalFeature lv2:hardRTCapable ;
                lv2:port
                    {{string.Join(" ,\n        ", ports)}} .

            """;
    }
}
