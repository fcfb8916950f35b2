using Mamba.Audio.Native;
using Mamba.Audio.Plugins;
using Mamba.Audio.Plugins.BuiltIn;

namespace Mamba.Audio.Tests.Native;

/// <summary>
/// The native plugin's voice, run under the JIT: at the model's rate it plays render's take for the
/// seed (the mamba generator's samples, which RenderChainTests shows are render's), in host blocks of
/// any size, mixes or continues its input, and allocates nothing once made.
/// </summary>
public class MambaVoiceTests(ITestOutputHelper output)
{
    private static readonly string Checkpoint = Path.Combine(TestRepository.Root, "samples", "models", "digits-small");

    private static float[] Reference(ulong seed, int samples)
    {
        using var generator = new MambaGenerator(Checkpoint, seed);
        generator.Prepare(new StreamFormat(16000, samples));
        var expected = new float[samples];
        generator.Generate(expected);
        return expected;
    }

    private static float[] Play(MambaVoice voice, float[] input, Random random)
    {
        var result = new float[input.Length];
        for (int done = 0; done < input.Length;)
        {
            int n = Math.Min(input.Length - done, random.Next(1, 6000));   // longer than MaxHostBlock too
            voice.Run(input.AsSpan(done, n), result.AsSpan(done, n));
            done += n;
        }
        return result;
    }

    [Fact]
    public void AtTheModelsRate_ItPlaysTheTakeOfItsSeed_AndASeedChangeStartsThatTake()
    {
        int testSeed = TestSeed.Fresh();
        var random = new Random(testSeed);
        using var voice = new MambaVoice(Checkpoint, 16000);
        Assert.Equal(0, voice.LatencySamples);
        voice.Set(VoicePorts.Seed, 3);
        voice.Activate();
        Assert.Equal(Reference(3, 20000), Play(voice, new float[20000], random));

        voice.Set(VoicePorts.Seed, 11);                                   // live: the next block starts seed 11's take
        Assert.Equal(Reference(11, 9000), Play(voice, new float[9000], random));
        output.WriteLine($"test seed {testSeed}");
    }

    [Fact]
    public void MixMode_AddsTheInputUnderTheModel_AndGainScalesTheModel()
    {
        using var voice = new MambaVoice(Checkpoint, 16000);
        voice.Set(VoicePorts.Seed, 5);
        voice.Set(VoicePorts.Mode, VoicePorts.ModeMix);
        voice.Set(VoicePorts.GainDb, -6);
        voice.Activate();
        var input = Enumerable.Range(0, 4000).Select(i => 0.25f * MathF.Sin(i * 0.05f)).ToArray();
        var mixed = new float[4000];
        voice.Run(input, mixed);
        var model = Reference(5, 4000);
        float gain = Decibels.ToGain(-6);
        for (int i = 0; i < input.Length; i++) Assert.Equal(model[i] * gain + input[i], mixed[i]);
    }

    [Fact]
    public void ContinueMode_PassesTheInput_ThenContinuesItWhenItFallsSilent()
    {
        using var voice = new MambaVoice(Checkpoint, 16000);
        voice.Set(VoicePorts.Mode, VoicePorts.ModeContinue);
        voice.Activate();
        var speech = Enumerable.Range(0, 8000).Select(i => 0.3f * MathF.Sin(i * 0.07f) * MathF.Sin(i * 0.001f)).ToArray();
        var heard = new float[8000];
        voice.Run(speech, heard);
        Assert.Equal(speech, heard);                                       // while the input sounds it passes through
        var afterwards = new float[16000];
        voice.Run(new float[16000], afterwards);
        // 300 ms of silence (4800 samples), then the model continues: no longer the silent input.
        Assert.All(afterwards.AsSpan(0, 4000).ToArray(), s => Assert.Equal(0f, s));
        Assert.Contains(afterwards.AsSpan(5000).ToArray(), s => s != 0);
    }

    [Fact]
    public void AtAHostRate_ItRunsThroughTheBridge_WithItsLatencyStated()
    {
        using var voice = new MambaVoice(Checkpoint, 48000);
        voice.Set(VoicePorts.Seed, 2);
        voice.Activate();
        var result = Play(voice, new float[48000], new Random(1));
        Assert.True(voice.LatencySamples > 0);
        Assert.Equal(0, voice.ShortSamples);
        Assert.True(result.AsSpan(voice.LatencySamples + 100).ToArray().Any(s => s != 0), "silent after the latency");
        output.WriteLine($"latency at 48 kHz: {voice.LatencySamples} samples ({1000.0 * voice.LatencySamples / 48000:F1} ms)");
    }

    [Fact]
    public void Running_AllocatesNothing_InEveryMode()
    {
        using var voice = new MambaVoice(Checkpoint, 44100);
        var block = new float[512];
        foreach (int mode in new[] { VoicePorts.ModeIgnore, VoicePorts.ModeMix, VoicePorts.ModeContinue })
        {
            voice.Set(VoicePorts.Mode, mode);
            voice.Run(block, block);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 200; i++)
            {
                voice.Set(VoicePorts.Temperature, 0.5f + i % 3 * 0.25f);
                if (i == 100) voice.Set(VoicePorts.Seed, 9);
                voice.Run(block, block);
            }
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    [Fact]
    public void AbsurdControlValues_AreClampedNotThrown()
    {
        using var voice = new MambaVoice(Checkpoint, 16000);
        voice.Set(VoicePorts.Temperature, float.NaN);
        voice.Set(VoicePorts.TopP, 99);
        voice.Set(VoicePorts.Mode, -5);
        voice.Set(VoicePorts.Seed, 1e30f);
        var block = new float[256];
        voice.Run(block, block);
        Assert.All(block, s => Assert.True(float.IsFinite(s) && MathF.Abs(s) <= 1));
    }
}
