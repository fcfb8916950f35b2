using Mamba.Audio.Chains;
using Mamba.Audio.Files;
using Mamba.Audio.Generation;
using Mamba.Audio.Plugins;
using Mamba.Audio.Plugins.BuiltIn;
using Mamba.Core.Checkpoints;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Model;
using Mamba.Core.Sampling;

namespace Mamba.Audio.Tests.Plugins;

/// <summary>The continue mode: once a prompt played into it falls silent, the model's output is render --prompt's continuation of that prompt.</summary>
public class MambaContinuationTests : IDisposable
{
    private readonly TempFolder folder = new();

    [Fact]
    public void AfterThePromptFallsSilent_TheContinuation_IsRendersContinuationOfIt()
    {
        int seed = TestSeed.Fresh();
        const int rate = 16000, block = 160;
        var config = new MambaConfig(16, 2);
        var checkpoint = folder.File("model");
        MambaCheckpoint.Save(checkpoint, config, MambaRandomWeights.Create(config, 9));

        // The prompt: 0.7 s of a tone whose last sample is loud, then 1 s of digital silence.
        var promptFile = folder.File("prompt.wav");
        var tone = new float[(int)(0.7 * rate)];
        for (int i = 0; i < tone.Length; i++) tone[i] = 0.5f * MathF.Sin(2 * MathF.PI * 330 * i / rate) + (i == tone.Length - 1 ? 0.4f : 0);
        using (var w = new Pcm16WavWriter(promptFile, rate)) w.Write(tone);
        var fed = folder.File("fed.wav");
        using (var w = new Pcm16WavWriter(fed, rate)) { w.Write(tone); w.Write(new float[rate]); }

        var output = folder.File("continued.wav");
        long continuedAt;
        using (var chain = Chain.Build(ChainSyntax.Parse($"file path={fed} | continue checkpoint={checkpoint} seed={seed} silence_ms=200 | wav path={output}"),
                   PluginCatalog.BuiltIn(), new ChainContext(SampleRate: rate)))
        {
            chain.Prepare(new StreamFormat(rate, block));
            chain.RunOffline((long)(1.7 * rate), TestContext.Current.CancellationToken);
            continuedAt = ((MambaContinuation)chain.Effects[0]).ContinuedAt;
        }
        Assert.True(continuedAt > tone.Length, $"continued at {continuedAt}, before the prompt ended at {tone.Length}");
        Assert.True(continuedAt <= tone.Length + 0.2 * rate + block, $"continued at {continuedAt}: more than silence_ms after the prompt");

        // render --prompt of the prompt file, same checkpoint and seed, step priming on the CPU engine.
        var reference = folder.File("render.wav");
        using (var engine = new CpuStepEngine(CpuWeights.Load(checkpoint), 1))
        {
            var primed = PromptAudio.ReadLast(promptFile, 4, rate).Classes;
            Assert.Equal(tone.Length, primed.Length);
            double seconds = (1.7 * rate - continuedAt) / rate;
            new Renderer(engine).Render(reference, new RenderRequest(seconds, new SamplingSettings(1, 1, (ulong)seed), Prompt: primed, SampleRate: rate),
                cancel: TestContext.Current.CancellationToken);
        }
        using var ours = WavSource.Open(output);
        using var theirs = WavSource.Open(reference);
        var all = new float[(int)(1.7 * rate)];
        int n = ours.Read(all);
        var expected = new float[all.Length];
        int m = theirs.Read(expected);
        Assert.Equal(all.Length - continuedAt, m);
        Assert.Equal(expected[..m], all[(int)continuedAt..n]);
        // Before the continuation, the input passed through: the tone.
        Assert.Equal(File.ReadAllBytes(fed).AsSpan(44, 2 * tone.Length).ToArray(), File.ReadAllBytes(output).AsSpan(44, 2 * tone.Length).ToArray());
    }

    public void Dispose() => folder.Dispose();
}
