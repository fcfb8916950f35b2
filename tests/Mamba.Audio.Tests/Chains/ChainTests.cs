using Mamba.Audio.Chains;
using Mamba.Audio.Plugins;
using Mamba.Audio.Plugins.BuiltIn;

namespace Mamba.Audio.Tests.Chains;

public class ChainTests
{
    [Fact]
    public void TheSyntax_ReadsStagesSettingsQuotesAndSeveralSinks()
    {
        var chain = ChainSyntax.Parse("file path='my take.wav' loop=1 | gain db=-6 | lowpass hz=3000 | pulse device=test + wav path=\"out/a b.wav\"");
        Assert.Equal("file", chain.Generator.Name);
        Assert.Equal("my take.wav", chain.Generator.Settings["path"]);
        Assert.Equal(["gain", "lowpass"], chain.Effects.Select(e => e.Name));
        Assert.Equal(["pulse", "wav"], chain.Sinks.Select(s => s.Name));
        Assert.Equal("out/a b.wav", chain.Sinks[1].Settings["path"]);
    }

    [Theory]
    [InlineData("tone | | gain", "an empty stage")]
    [InlineData("tone hz", "'hz' is not key=value")]
    [InlineData("tone hz=1 hz=2", "hz is given twice")]
    [InlineData("tone | wav path='x.wav", "a quote is not closed")]
    [InlineData("tone | gian db=-6", "no plugin named 'gian'")]
    [InlineData("tone | gain dB=-6", "'gain' has no setting 'dB'; it takes db")]
    [InlineData("tone | gain db=99", "db 99: must be in -120..24 dB")]
    [InlineData("tone | gain db=loud", "db=loud: expected a number in dB")]
    [InlineData("gain | tone", "'gain' is a effect; it cannot stand where a generator goes")]
    [InlineData("file", "'file' needs path=...")]
    public void ABadChain_IsRefusedWithTheStageAndTheReason(string text, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => Chain.Build(ChainSyntax.Parse(text), PluginCatalog.BuiltIn(), new ChainContext()).Dispose());
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AParameterChange_TakesEffectInTheNextBlock_AndAGainJumpGlidesWithoutAClick()
    {
        const int rate = 16000, block = 256;
        var gain = new GainEffect();
        using var chain = new Chain(new DcGenerator(0.5f), [gain], []);
        chain.Prepare(new StreamFormat(rate, block));
        var a = new float[block];
        chain.ProcessBlock(a);
        Assert.All(a, v => Assert.Equal(0.5f, v));

        gain.Set("db", -40);                     // from another thread in play; here between blocks
        var b = new float[block];
        chain.ProcessBlock(b);
        Assert.True(b[0] < 0.5f, "the change did not reach the next block");
        int ramp = (int)(rate * AudioPlugin.SmoothingSeconds);
        Assert.Equal(0.005f, b[ramp - 1], 4);    // at the target after the 10 ms glide
        float largestStep = 0.5f - b[0];
        for (int i = 1; i < block; i++) largestStep = Math.Max(largestStep, Math.Abs(b[i] - b[i - 1]));
        // The bound: a linear glide over 160 samples moves at most (0.5 - 0.005) / 160 per sample; a jump would be 0.495.
        Assert.True(largestStep <= (0.5f - 0.005f) / ramp + 1e-6f, $"largest step {largestStep}");
    }

    private sealed class DcGenerator(float level) : Generator("dc", [])
    {
        public override void Generate(Span<float> output) => output.Fill(level);
    }
}

/// <summary>The NWaves effects in a chain give NWaves' own samples, and a live change is taken at the next block.</summary>
public class ModulationEffectTests
{
    [Fact]
    public void TheFlangerInAChain_GivesNWavesSamples_AndARateChangeRebuildsIt()
    {
        const int rate = 16000, block = 256;
        using var chain = Chain.Build(ChainSyntax.Parse("tone hz=220 db=-6 | flanger rate=0.5 width_ms=2 depth=0.6 feedback=0.3 mix=0.5"), PluginCatalog.BuiltIn(), new ChainContext(SampleRate: rate));
        chain.Prepare(new StreamFormat(rate, block));
        var ours = new float[4 * block];
        for (int b = 0; b < 4; b++) chain.ProcessBlock(ours.AsSpan(b * block, block));

        using var dry = new Chain(new ToneGenerator(), [], []);
        dry.Generator.Set("hz", 220);
        dry.Generator.Set("db", -6);
        dry.Prepare(new StreamFormat(rate, block));
        var input = new float[4 * block];
        for (int b = 0; b < 4; b++) dry.ProcessBlock(input.AsSpan(b * block, block));
        var reference = new NWaves.Effects.FlangerEffect(rate, 0.5f, 0.002f, 0.6f, 0.3f, false, NWaves.Utils.InterpolationMode.Linear, 0.011f) { Wet = 0.5f, Dry = 0.5f };
        for (int i = 0; i < input.Length; i++) Assert.Equal(reference.Process(input[i]), ours[i], 6);

        chain.Effects[0].Set("rate", 2);
        var after = new float[block];
        chain.ProcessBlock(after);
        Assert.All(after, v => Assert.True(float.IsFinite(v) && Math.Abs(v) < 2));
    }
}

/// <summary>The reverb: an impulse gives a tail that decays, stays bounded, and mix 0 is the dry signal.</summary>
public class ReverbEffectTests
{
    [Fact]
    public void AnImpulse_RingsAndDecays_AndMixZeroIsDry()
    {
        const int rate = 16000;
        var reverb = new ReverbEffect();
        reverb.Set("mix", 1);
        reverb.Prepare(new StreamFormat(rate, rate));
        var response = new float[2 * rate];
        response[0] = 1;
        reverb.Process(response.AsSpan(0, rate));
        reverb.Process(response.AsSpan(rate, rate));
        double Energy(int from, int to) => response.Skip(from).Take(to - from).Sum(v => (double)v * v);
        Assert.All(response, v => Assert.True(float.IsFinite(v) && Math.Abs(v) < 1));
        double early = Energy(0, rate / 4), late = Energy(rate, 2 * rate);
        Assert.True(Energy(rate / 10, rate / 4) > 0, "no tail after 100 ms");
        Assert.True(late < early / 10, $"late energy {late:E2} is not well below early {early:E2}");

        var dry = new ReverbEffect();
        dry.Set("mix", 0);
        dry.Prepare(new StreamFormat(rate, 512));
        var block = Enumerable.Range(0, 512).Select(i => MathF.Sin(i * 0.1f)).ToArray();
        var copy = block.ToArray();
        dry.Process(block);
        Assert.Equal(copy, block);
    }
}
