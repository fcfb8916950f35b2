using System.Buffers.Binary;
using System.Diagnostics;
using Mamba.Audio.Chains;
using Mamba.Audio.Plugins;
using Mamba.Audio.Plugins.Ladspa;
using NAudio.Wave;

namespace Mamba.Audio.Tests.Plugins;

/// <summary>
/// Real LADSPA plugins from Debian packages (ladspa-sdk, swh-plugins; .ci/run installs them) run in a
/// chain give the samples that applyplugin, the LADSPA SDK's own host, gives with the same controls.
/// </summary>
public class LadspaEffectTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder folder = new();

    [Fact]
    public void ControlPorts_BecomeParameters_WithTheRangesAndDefaultsOfTheirHints()
    {
        var amp = LadspaLibrary.Find("amp", "amp_mono");
        var gain = Assert.Single(LadspaEffect.ParametersOf(amp, 16000));
        Assert.Equal("gain", gain.Name);
        Assert.Equal(1f, gain.Default);
        Assert.Equal(0f, gain.Min);

        var lowpass = LadspaLibrary.Find("lowpass_iir_1891", "lowpass_iir");
        var parameters = LadspaEffect.ParametersOf(lowpass, 16000);
        output.WriteLine(string.Join("\n", parameters));
        var cutoff = parameters.Single(p => p.Name == "cutoff_frequency");
        Assert.Equal(0.45f * 16000, cutoff.Max, 2);                                    // bounds scaled by the rate
        Assert.Equal(0.0001f * 16000, cutoff.Min, 4);
        Assert.Equal("stages_2_poles_per_stage", parameters[1].Name);
        Assert.Equal(1f, parameters[1].Default);
    }

    [Theory]
    [InlineData("amp", "amp_mono", "gain=0.37", "0.37")]
    [InlineData("lowpass_iir_1891", "lowpass_iir", "cutoff_frequency=900 stages_2_poles_per_stage=3", "900 3")]
    [InlineData("highpass_iir_1890", "highpass_iir", "cutoff_frequency=300 stages_2_poles_per_stage=2", "300 2")]
    public void APluginInAChain_GivesTheSamplesApplypluginGives(string file, string label, string settings, string applypluginControls)
    {
        int seed = TestSeed.Fresh();
        const int rate = 16000;
        var input = folder.File("in.wav");
        var random = new Random(seed);
        using (var writer = new WaveFileWriter(input, new WaveFormat(rate, 16, 1)))
            for (int i = 0; i < rate; i++)
            {
                short s = (short)(12000 * Math.Sin(2 * Math.PI * 440 * i / rate) + random.Next(-8000, 8000));
                writer.WriteByte((byte)s);
                writer.WriteByte((byte)(s >> 8));
            }

        // applyplugin: the LADSPA SDK's host, 2048-sample runs, 16-bit in (x / 32768) and out (floor(y x 32768)).
        var reference = folder.File("applyplugin.wav");
        var info = new ProcessStartInfo("applyplugin") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { input, reference, LadspaLibrary.Resolve(file), label }.Concat(applypluginControls.Split(' '))) info.ArgumentList.Add(a);
        using (var process = Process.Start(info)!)
        {
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
        }

        using var chain = Chain.Build(ChainSyntax.Parse($"file path={input} | ladspa file={file} label={label} {settings}"), PluginCatalog.BuiltIn(), new ChainContext(SampleRate: rate));
        chain.Prepare(new StreamFormat(rate, 2048));
        var ours = new float[rate];
        for (int done = 0; done < rate; done += 2048) chain.ProcessBlock(ours.AsSpan(done, Math.Min(2048, rate - done)));

        using var reader = new WaveFileReader(reference);
        var bytes = new byte[reader.Length];
        reader.ReadExactly(bytes);
        Assert.Equal(rate, bytes.Length / 2);
        int differ = 0;
        for (int i = 0; i < rate; i++)
        {
            short expected = BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(2 * i));
            short actual = (short)Math.Clamp(MathF.Floor(ours[i] * 32768f), -32768, 32767);
            if (actual != expected && differ++ < 5) output.WriteLine($"sample {i}: ours {actual} ({ours[i]}), applyplugin {expected}");
        }
        Assert.True(differ == 0, $"seed {seed}: {differ} of {rate} samples differ from applyplugin's");
    }

    [Fact]
    public void AMissingPluginOrLabel_IsAClearError()
    {
        var noFile = Assert.Throws<ArgumentException>(() => LadspaLibrary.Find("no_such_plugin", "x"));
        Assert.Contains("not found in", noFile.Message);
        var noLabel = Assert.Throws<ArgumentException>(() => LadspaLibrary.Find("amp", "amp_quad"));
        Assert.Contains("has no plugin labelled 'amp_quad'; it has amp_mono, amp_stereo", noLabel.Message);
    }

    public void Dispose() => folder.Dispose();
}
