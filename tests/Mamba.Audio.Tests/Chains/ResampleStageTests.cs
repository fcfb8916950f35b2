using Mamba.Audio.Chains;
using Mamba.Audio.Plugins;
using Mamba.Audio.Plugins.BuiltIn;
using Mamba.Audio.Resampling;
using Mamba.Audio.Tests.Support;
using NAudio.Wave;

namespace Mamba.Audio.Tests.Chains;

/// <summary>`resample rate=...`: the stages before it run at their rate, those after at the new one, through the project's sinc resampler.</summary>
public class ResampleStageTests(ITestOutputHelper output)
{
    [Fact]
    public void AChain_ChangesRate_AndGivesWhatTheResamplerGivesOnTheSameSource()
    {
        using var chain = Chain.Build(ChainSyntax.Parse("tone hz=1000 db=-6 | gain db=-3 | resample rate=48000 | null"), PluginCatalog.BuiltIn(), new ChainContext(SampleRate: 16000));
        Assert.Equal(48000, chain.SampleRate);
        chain.Prepare(new StreamFormat(48000, 480));
        var ours = new float[48000];
        for (int done = 0; done < ours.Length; done += 480) chain.ProcessBlock(ours.AsSpan(done, 480));

        // The same stages at 16 kHz, then MonoResampler over the whole array: the chain must give these samples.
        using var source = Chain.Build(ChainSyntax.Parse("tone hz=1000 db=-6 | gain db=-3 | null"), PluginCatalog.BuiltIn(), new ChainContext(SampleRate: 16000));
        source.Prepare(new StreamFormat(16000, 16000));
        var at16k = new float[16000 + 1000];
        source.ProcessBlock(at16k);
        var reference = Spectrum.ReadAll(new MonoResampler(new ArraySource(at16k, 16000), 48000), 480);
        double worst = 0;
        for (int i = 0; i < ours.Length; i++) worst = Math.Max(worst, Math.Abs(ours[i] - reference[i]));
        output.WriteLine($"largest difference from one whole-array resampling: {worst:E2}");
        Assert.True(worst < 1e-6, $"{worst}");

        var tone = Spectrum.Measure(ours, 48000, 4000);
        output.WriteLine(tone.ToString());
        Assert.Equal(1000, tone.PeakHz, 3.0);
        Assert.Equal(-9, tone.PeakDb, 1.0);                            // -6 dB then -3 dB (less a Blackman-Harris bin's scalloping)
        Assert.True(tone.SpurDb < -90, tone.ToString());                 // no image of the 16 kHz original
    }

    [Fact]
    public void StagesBeforeTheChange_RunAtTheSourceRate_AndStayUnderLiveControl()
    {
        using var chain = Chain.Build(ChainSyntax.Parse("tone hz=500 | lowpass | resample rate=44100 | gain | null"), PluginCatalog.BuiltIn(), new ChainContext(SampleRate: 8000));
        chain.Prepare(new StreamFormat(44100, 441));
        Assert.Equal(["tone", "lowpass", "resample", "gain", "null"], chain.Plugins.Select(p => p.Name));
        Assert.Equal(8000, chain.Plugins.First().Format!.SampleRate);
        Assert.Equal(8000, chain.Plugins.ElementAt(1).Format!.SampleRate);
        Assert.Equal(44100, chain.Plugins.ElementAt(3).Format!.SampleRate);
        Assert.IsType<ToneGenerator>(chain.Source);

        var control = new LiveControl(chain);
        Assert.Equal("tone: hz=700", control.Apply("tone hz=700"));
        Assert.Equal(700f, chain.Source.Get("hz"));
        Assert.Contains("has no parameter", Assert.Throws<ArgumentException>(() => control.Apply("3 rate=8000")).Message);
        // The sinc's half length, 128 input samples at 8 kHz, is 706 samples at 44.1 kHz.
        Assert.Equal(706, chain.LatencySamples);
    }

    [Fact]
    public void AFiniteSource_EndsAfterTheResamplerDrains()
    {
        using var folder = new TempFolder();
        var path = folder.File("short.wav");
        using (var writer = new WaveFileWriter(path, WaveFormat.CreateIeeeFloatWaveFormat(8000, 1)))
            for (int i = 0; i < 800; i++) writer.WriteSample(0.5f);
        using var chain = Chain.Build(ChainSyntax.Parse($"file path={path} | resample rate=16000 | null"), PluginCatalog.BuiltIn(), new ChainContext(SampleRate: 8000));
        chain.Prepare(new StreamFormat(16000, 256));
        long run = chain.RunOffline(100_000, TestContext.Current.CancellationToken);
        output.WriteLine($"{run} samples run");
        Assert.True(chain.Generator.Ended);
        Assert.InRange(run, 1600, 1600 + 2 * 256 + 2 * MonoResampler.SincSize);
    }

    [Theory]
    [InlineData("tone | resample rate=10 | null", "rate=10: expected a whole number in 1000..384000")]
    [InlineData("tone | resample | resample rate=x | null", "rate=x")]
    public void AnAbsurdRate_IsRefused(string text, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => Chain.Build(ChainSyntax.Parse(text), PluginCatalog.BuiltIn(), new ChainContext()));
        Assert.Contains(expected, e.Message);
    }

    private sealed class ArraySource(float[] samples, int rate) : ISampleProvider
    {
        private int position;
        public WaveFormat WaveFormat { get; } = WaveFormat.CreateIeeeFloatWaveFormat(rate, 1);
        public int Read(Span<float> buffer)
        {
            int n = Math.Min(buffer.Length, samples.Length - position);
            samples.AsSpan(position, n).CopyTo(buffer);
            position += n;
            return n;
        }
    }
}
