using System.Diagnostics;
using Mamba.Audio.Chains;
using Mamba.Audio.Plugins;
using Mamba.Audio.Plugins.Lv2;
using NAudio.Wave;

namespace Mamba.Audio.Tests.Plugins;

/// <summary>
/// Real LV2 plugins from Debian packages (swh-lv2, mda-lv2; .ci/run installs them with liblilv) run in
/// a chain give the samples that lv2apply, lilv's own host, gives with the same controls; a test
/// bundle compiled here by clang checks the host features (urid:map, options) and the refusals.
/// </summary>
public class Lv2EffectTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder folder = new();

    [Fact]
    public void ControlPorts_BecomeParameters_BySymbol_WithTheirRangesAndDefaults()
    {
        var gain = Assert.Single(Lv2Effect.ParametersOf(Lv2World.Find("http://plugin.org.uk/swh-plugins/amp"), 16000));
        Assert.Equal(("gain", -70f, 70f, 0f), (gain.Name, gain.Min, gain.Max, gain.Default));

        var parameters = Lv2Effect.ParametersOf(Lv2World.Find("http://plugin.org.uk/swh-plugins/lowpass_iir"), 16000);
        output.WriteLine(string.Join("\n", parameters));
        var cutoff = parameters.Single(p => p.Name == "cutoff");
        Assert.Equal(0.45f * 16000, cutoff.Max, 2);                                    // lv2:sampleRate: bounds scaled by the rate
        Assert.Equal(0.337525f * 16000, cutoff.Default, 1);
        var stages = parameters.Single(p => p.Name == "stages");
        Assert.Equal((1f, 10f, 1f), (stages.Min, stages.Max, stages.Default));
        Assert.Contains("(integer)", stages.Description);
    }

    [Theory]
    [InlineData("http://plugin.org.uk/swh-plugins/amp", "gain=-7.5")]
    [InlineData("http://plugin.org.uk/swh-plugins/lowpass_iir", "cutoff=900 stages=3")]
    [InlineData("http://drobilla.net/plugins/mda/Overdrive", "drive=0.6 muffle=0.3 output=0.4")]
    public void APluginInAChain_GivesTheSamplesLv2applyGives(string uri, string settings)
    {
        int seed = TestSeed.Fresh();
        const int rate = 16000;
        var input = folder.File("in.wav");
        var random = new Random(seed);
        // 32-bit float in, so lv2apply (libsndfile) writes float out and the comparison is exact, not after a 16-bit rounding.
        using (var writer = new WaveFileWriter(input, WaveFormat.CreateIeeeFloatWaveFormat(rate, 1)))
            for (int i = 0; i < rate; i++)
                writer.WriteSample((float)(0.4 * Math.Sin(2 * Math.PI * 440 * i / rate) + 0.2 * (random.NextDouble() * 2 - 1)));

        var reference = folder.File("lv2apply.wav");
        var info = new ProcessStartInfo("lv2apply") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-i", input, "-o", reference }) info.ArgumentList.Add(a);
        foreach (var setting in settings.Split(' '))
        {
            var (symbol, value) = (setting.Split('=')[0], setting.Split('=')[1]);
            foreach (var a in new[] { "-c", symbol, value }) info.ArgumentList.Add(a);
        }
        info.ArgumentList.Add(uri);
        using (var process = Process.Start(info)!)
        {
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd());
        }

        using var chain = Chain.Build(ChainSyntax.Parse($"file path={input} | lv2 uri={uri} {settings}"), PluginCatalog.BuiltIn(), new ChainContext(SampleRate: rate));
        chain.Prepare(new StreamFormat(rate, 1024));
        var ours = new float[rate];
        for (int done = 0; done < rate; done += 1024) chain.ProcessBlock(ours.AsSpan(done, Math.Min(1024, rate - done)));

        using var reader = new WaveFileReader(reference);
        Assert.Equal(WaveFormatEncoding.IeeeFloat, reader.WaveFormat.Encoding);
        var bytes = new byte[reader.Length];
        reader.ReadExactly(bytes);
        // lv2apply feeds a mono file to every audio input, as the chain does, and writes one channel per output; the chain keeps the first.
        int channels = reader.WaveFormat.Channels;
        var expected = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray().Where((_, i) => i % channels == 0).ToArray();
        Assert.Equal(rate, expected.Length);
        int differ = 0;
        for (int i = 0; i < rate; i++)
            if (BitConverter.SingleToInt32Bits(ours[i]) != BitConverter.SingleToInt32Bits(expected[i]) && differ++ < 5)
                output.WriteLine($"sample {i}: ours {ours[i]:R}, lv2apply {expected[i]:R}");
        Assert.True(differ == 0, $"seed {seed}: {differ} of {rate} samples differ from lv2apply's");
        Assert.Contains(ours, s => s != 0);
    }

    [Fact]
    public void TheHost_GivesUridMapAndOptions_AsThePluginReads()
    {
        LoadTestBundle();
        using var chain = Chain.Build(ChainSyntax.Parse("tone hz=300 | lv2 uri=http://example.org/mamba-audio-test#features gain=0.5"),
            PluginCatalog.BuiltIn(), new ChainContext(SampleRate: 22050));
        chain.Prepare(new StreamFormat(22050, 512));
        var block = new float[1300];                  // longer than a block: the effect runs it in parts of at most 512
        chain.ProcessBlock(block);
        var effect = (Lv2Effect)chain.Effects[0];
        Assert.Equal(Lv2Features.Id("http://example.org/mamba-audio-test#probe"), (uint)effect.Reading("urid"));
        Assert.Equal(512f, effect.Reading("max_block"));
        Assert.Equal(22050f, effect.Reading("rate"));
        Assert.Equal(512f, effect.Reading("largest_run"));

        using var tone = Chain.Build(ChainSyntax.Parse("tone hz=300"), PluginCatalog.BuiltIn(), new ChainContext(SampleRate: 22050));
        tone.Prepare(new StreamFormat(22050, 512));
        var dry = new float[1300];
        tone.ProcessBlock(dry);
        for (int i = 0; i < dry.Length; i++) Assert.Equal(dry[i] * 0.5f, block[i]);
    }

    [Fact]
    public void APluginThisHostCannotRun_IsRefusedSayingWhy()
    {
        LoadTestBundle();
        var demanding = Assert.Throws<ArgumentException>(() => new Lv2Effect(Lv2World.Find("http://example.org/mamba-audio-test#demanding"), 48000));
        Assert.Contains("requires http://example.org/no-such-feature, which this host does not provide", demanding.Message);

        var instrument = Assert.Throws<ArgumentException>(() => new Lv2Effect(Lv2World.Find("http://drobilla.net/plugins/mda/DX10"), 48000));
        Assert.Contains("has 0 audio inputs", instrument.Message);

        var unknown = Assert.Throws<ArgumentException>(() => Lv2World.Find("http://plugin.org.uk/swh-plugins/ampp"));
        Assert.Contains("no LV2 plugin has this URI", unknown.Message);
        var near = Assert.Throws<ArgumentException>(() => Lv2World.Find("lowpass_i"));
        Assert.Contains("did you mean http://plugin.org.uk/swh-plugins/lowpass_iir", near.Message);

        var range = Assert.Throws<ArgumentException>(() => Chain.Build(ChainSyntax.Parse("tone | lv2 uri=http://plugin.org.uk/swh-plugins/amp gain=100"),
            PluginCatalog.BuiltIn(), new ChainContext()));
        Assert.Contains("gain 100: must be in -70..70", range.Message);
    }

    private static readonly Lazy<string> TestBundle = new(BuildTestBundle);

    /// <summary>The test bundle, built once per test process (lilv keeps a plugin's URI for the life of its world).</summary>
    private static void LoadTestBundle() => Lv2World.LoadBundle(TestBundle.Value);

    /// <summary>Builds the test bundle (two plugins in C, no LV2 headers needed) with a C compiler, in a folder removed when the process exits.</summary>
    private static string BuildTestBundle()
    {
        var root = Directory.CreateTempSubdirectory("mamba-audio-lv2-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(root, recursive: true); } catch (IOException) { } };
        var bundle = Directory.CreateDirectory(Path.Combine(root, "mamba_test.lv2")).FullName;
        var sources = Path.Combine(AppContext.BaseDirectory, "Plugins", "Lv2Bundle");
        foreach (var name in new[] { "manifest.ttl", "plugin.ttl" }) File.Copy(Path.Combine(sources, name), Path.Combine(bundle, name));
        // clang where .ci/run installed it, else the system's cc.
        var compiler = new[] { "/usr/bin/clang", "/usr/local/bin/clang", "/usr/bin/cc" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("no C compiler (clang or cc) to build the test LV2 bundle; .ci/run installs clang.");
        var info = new ProcessStartInfo(compiler) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in new[] { "-shared", "-fPIC", "-O1", "-o", Path.Combine(bundle, "mamba_test.so"), Path.Combine(sources, "mamba_test.c") }) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException(compiler + " could not build the test LV2 bundle: " + errors);
        return bundle;
    }

    public void Dispose() => folder.Dispose();
}
