using System.Buffers.Binary;
using System.Diagnostics;
using Mamba.Audio.Files;
using Mamba.Audio.Host.Tests.Support;
using Mamba.Audio.Plugins;
using Mamba.Audio.Plugins.BuiltIn;
using NAudio.Wave;

namespace Mamba.Audio.Host.Tests.Native;

/// <summary>
/// The NativeAOT plugin (scripts/build-native-plugin.sh) inside real third-party hosts from Debian:
/// analyseplugin, applyplugin and sox for LADSPA, lv2file for LV2. At the model's rate its output is
/// render's take for the seed, sample for sample; a missing checkpoint is silence and one message.
/// </summary>
public class NativePluginTests(ITestOutputHelper output) : IDisposable
{
    private const int Rate = 16000;
    private readonly TempFolder folder = new();
    private static readonly string Checkpoint = TestRepository.File("samples", "models", "digits-small");

    private static (int ExitCode, string Output) Run(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["LADSPA_PATH"] = NativePluginBuild.LadspaFolder;
        info.Environment["LV2_PATH"] = NativePluginBuild.Lv2Folder;
        info.Environment.Remove("MAMBA_AUDIO_CHECKPOINT");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(300_000)) { process.Kill(true); throw new TimeoutException($"{program} ran over 300 s"); }
        return (process.ExitCode, stdout + stderr.Result);
    }

    /// <summary>A silent input of <paramref name="samples"/>, 16-bit or 32-bit float.</summary>
    private string Silence(int samples, bool floating, int rate = Rate)
    {
        var path = folder.File(floating ? $"silence-{rate}-f.wav" : $"silence-{rate}.wav");
        using var writer = new WaveFileWriter(path, floating ? WaveFormat.CreateIeeeFloatWaveFormat(rate, 1) : new WaveFormat(rate, 16, 1));
        writer.Write(new byte[samples * (floating ? 4 : 2)]);
        return path;
    }

    private static float[] ReadFloats(string path)
    {
        using var reader = new WaveFileReader(path);
        var bytes = new byte[reader.Length];
        reader.ReadExactly(bytes);
        return reader.WaveFormat.Encoding == WaveFormatEncoding.IeeeFloat
            ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray()
            : Enumerable.Range(0, bytes.Length / 2).Select(i => BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(2 * i)) / 32768f).ToArray();
    }

    private static short[] ReadPcm16(string path)
    {
        using var reader = new WaveFileReader(path);
        var bytes = new byte[reader.Length];
        reader.ReadExactly(bytes);
        return Enumerable.Range(0, bytes.Length / 2).Select(i => BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(2 * i))).ToArray();
    }

    /// <summary>The take render writes for the seed, as floats (the mamba generator: RenderChainTests shows its file is render's), checked against render's own 16-bit file.</summary>
    private float[] RenderedTake(ulong seed, int samples)
    {
        using var generator = new MambaGenerator(Checkpoint, seed);
        generator.Prepare(new StreamFormat(Rate, samples));
        var take = new float[samples];
        generator.Generate(take);
        var wav = folder.File($"render-{seed}.wav");
        var render = HostRun.Run("render", "--checkpoint", Checkpoint, "--seed", $"{seed}", "--seconds", $"{samples / (double)Rate}", "--out", wav, "--threads", "1");
        Assert.True(render.ExitCode == 0, render.Output);
        Assert.Equal(take.Select(Pcm16WavWriter.ToPcm16).ToArray(), ReadPcm16(wav));
        return take;
    }

    [Fact]
    public void Analyseplugin_ListsThePortsWithTheirRangesAndDefaults()
    {
        var (code, text) = Run("analyseplugin", [NativePluginBuild.LadspaLibrary]);
        output.WriteLine(text);
        Assert.Equal(0, code);
        Assert.Contains("Plugin Label: \"mamba\"", text);
        Assert.Contains("\"Input\" input, audio", text);
        Assert.Contains("\"Output\" output, audio", text);
        Assert.Contains("\"Temperature\" input, control, 0 to 2, default 1", text);
        Assert.Contains("\"Seed\" input, control, 0 to 1.67772e+07, default 1, integer", text);
        Assert.Contains("\"Output gain (dB)\" input, control, -60 to 12, default 0", text);
        Assert.Contains("\"latency\" output, control", text);
        Assert.Contains("Hard Real-Time", text);
    }

    [Fact]
    public void InSox_AtTheModelsRate_ItIsRendersTakeSampleForSample()
    {
        var take = RenderedTake(3, 2 * Rate);
        var result = folder.File("sox.wav");
        // sox -D: no dither, so its 16-bit output is the plugin's floats rounded as render's writer rounds them.
        // ladspa MODULE LABEL temperature top_p seed gain_db mode latency (sox asks a value for the latency output too)
        var (code, text) = Run("sox", ["-D", Silence(2 * Rate, floating: false), "-b", "16", result, "ladspa", "mamba_audio", "mamba", "1", "1", "3", "0", "0", "0"]);
        Assert.True(code == 0, text);
        var ours = ReadPcm16(result);
        Assert.Equal(take.Length, ours.Length);
        Assert.Equal(take.Select(Pcm16WavWriter.ToPcm16).ToArray(), ours);
        Assert.True(ours.Max(s => Math.Abs((int)s)) > 1000, "the take has sound in it");
    }

    [Fact]
    public void InApplyplugin_ItIsRendersTake_AndTwoInstancesRunInOneProcess()
    {
        var take = RenderedTake(7, Rate);
        var result = folder.File("applyplugin.wav");
        // applyplugin IN OUT FILE LABEL controls... (two plugins in series: the second mixes its own take, seed 8, 60 dB down, under the first)
        var (code, text) = Run("applyplugin", [Silence(Rate, floating: false), result,
            NativePluginBuild.LadspaLibrary, "mamba", "1", "1", "7", "0", "0",
            NativePluginBuild.LadspaLibrary, "mamba", "1", "1", "8", "-60", "1"]);
        Assert.True(code == 0, text);
        var ours = ReadPcm16(result);
        Assert.Equal(Rate, ours.Length);
        var second = new MambaGenerator(Checkpoint, 8);
        second.Prepare(new StreamFormat(Rate, Rate));
        var quiet = new float[Rate];
        second.Generate(quiet);
        float gain = Decibels.ToGain(-60);
        // applyplugin: 16-bit in (x / 32768) and out (floor(y x 32768)).
        var expected = take.Select((s, i) => (short)Math.Clamp(MathF.Floor((s + quiet[i] * gain) * 32768f), -32768, 32767)).ToArray();
        int differ = expected.Where((e, i) => e != ours[i]).Count();
        Assert.True(differ == 0, $"{differ} of {Rate} samples differ");
    }

    [Fact]
    public void InLv2file_TheLv2BundleIsRendersTake()
    {
        var take = RenderedTake(5, Rate);
        var result = folder.File("lv2file.wav");
        var (code, text) = Run("lv2file", ["-i", Silence(Rate, floating: true), "-o", result, "-p", "seed:5", "-p", "mode:0", "--ignore-clipping",
            "https://mamba.audio/plugins/generator"]);
        Assert.True(code == 0, text);
        Assert.Equal(take, ReadFloats(result));
    }

    [Fact]
    public void AtAHostRateOfItsOwn_ItIsResampled_AndKeepsTheLength()
    {
        var result = folder.File("sox48.wav");
        var (code, text) = Run("sox", [Silence(48000, floating: true, rate: 48000), "-e", "floating-point", "-b", "32", result, "ladspa", "mamba_audio", "mamba", "1", "1", "3", "0", "0", "0"]);
        Assert.True(code == 0, text);
        var ours = ReadFloats(result);
        Assert.Equal(48000, ours.Length);
        Assert.True(ours.Skip(2000).Count(s => s != 0) > 40000, "the model's take, resampled, sounds after the latency");
    }

    [Fact]
    public void AMissingCheckpoint_IsSilenceAndOneMessage_AndTheHostExitsNormally()
    {
        var result = folder.File("missing.wav");
        var (code, text) = Run("applyplugin", [Silence(Rate, floating: false), result, NativePluginBuild.LadspaLibrary, "mamba", "1", "1", "1", "0", "0"],
            new Dictionary<string, string> { ["MAMBA_AUDIO_CHECKPOINT"] = folder.File("no-such-model") });
        output.WriteLine(text);
        Assert.Equal(0, code);
        Assert.Single(text.Split('\n'), l => l.Contains("mamba-audio plugin: cannot load the checkpoint"));
        Assert.Contains("no-such-model", text);
        Assert.All(ReadPcm16(result), s => Assert.Equal(0, s));
    }

    [Fact]
    public void TheLv2CheckpointParameter_SwapsTheModelWhilePlaying_AndStateRestoresIt()
    {
        // A second checkpoint, with other weights: after the patch:Set its take for the seed must follow.
        var other = Commands.RenderCommandTests.TinyCheckpoint(folder.File("other-model"), seed: 21);
        var bundle = Path.Combine(NativePluginBuild.Lv2Folder, "mamba_audio.lv2");
        var host = folder.File("lv2_patch_host");
        var compiler = new[] { "/usr/bin/clang", "/usr/bin/cc" }.First(File.Exists);
        var (built, buildOutput) = Run(compiler, ["-O1", "-o", host, Path.Combine(AppContext.BaseDirectory, "Native", "lv2_patch_host.c"), "-ldl"]);
        Assert.True(built == 0, buildOutput);
        string first = folder.File("first.f32"), second = folder.File("second.f32");
        var (code, text) = Run(host, [bundle, other, first, second]);
        output.WriteLine(text);
        Assert.True(code == 0, text);
        Assert.Contains($"saved status=0 key=https://mamba.audio/plugins/generator#checkpoint type=http://lv2plug.in/ns/ext/atom#Path value={other}", text);
        Assert.Contains("restored status=0", text);

        float[] Take(string checkpoint, int samples)
        {
            using var generator = new MambaGenerator(checkpoint, 3);
            generator.Prepare(new StreamFormat(Rate, 4096));
            var take = new float[samples];
            for (int done = 0; done < samples; done += 4096) generator.Generate(take.AsSpan(done, Math.Min(4096, samples - done)));
            return take;
        }
        var played = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(first)).ToArray();
        const int before = 16000 / 512 * 512 + 512;
        Assert.Equal(Take(Checkpoint, before), played[..before]);                  // the bundle's checkpoint until the patch
        // From some block on, the other checkpoint's take for the seed, from its start to the end of what was played.
        var otherTake = Take(other, played.Length);
        int swap = Enumerable.Range(0, (played.Length - before) / 512).Select(b => before + 512 * b)
            .FirstOrDefault(p => played.AsSpan(p).SequenceEqual(otherTake.AsSpan(0, played.Length - p)), -1);
        output.WriteLine($"swapped at sample {swap} ({(swap - before) / (double)Rate:F2} s of audio after the patch:Set)");
        Assert.True(swap >= before, "the other checkpoint's take never started");
        Assert.True(played.Length - swap > 16000, "the swap came too late to check much");
        // The restored instance plays the saved checkpoint from the start of its take.
        var restored = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(second)).ToArray();
        Assert.Equal(otherTake[..restored.Length], restored);
    }

    public void Dispose() => folder.Dispose();
}
