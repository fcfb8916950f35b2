using Mamba.Audio.Host.Tests.Support;

namespace Mamba.Audio.Host.Tests.Commands;

/// <summary>`render --chain`: the chain machinery of play, run offline; its `mamba` generator gives render's own file.</summary>
public class RenderChainTests : IDisposable
{
    private readonly TempFolder folder = new();

    [Fact]
    public void AMambaChain_RenderedOffline_IsByteForByteTheClassicRender()
    {
        var checkpoint = RenderCommandTests.TinyCheckpoint(folder.File("model"));
        string viaChain = folder.File("chain.wav"), classic = folder.File("classic.wav");
        var a = HostRun.Run("render", "--chain", $"mamba checkpoint={checkpoint} seed=11 | wav path={viaChain}", "--seconds", "0.7");
        Assert.True(a.ExitCode == 0, a.Output);
        var b = HostRun.Run("render", "--checkpoint", checkpoint, "--seed", "11", "--seconds", "0.7", "--out", classic, "--threads", "1");
        Assert.True(b.ExitCode == 0, b.Output);
        Assert.Equal(File.ReadAllBytes(classic), File.ReadAllBytes(viaChain));
    }

    [Fact]
    public void AMambaChainWithAPrompt_IsByteForByteRenderWithThatPrompt()
    {
        var checkpoint = RenderCommandTests.TinyCheckpoint(folder.File("model"));
        var prompt = Directory.GetFiles(TestRepository.File("samples", "wav", "digits"), "*.wav").Order(StringComparer.Ordinal).First();
        string viaChain = folder.File("chain.wav"), classic = folder.File("classic.wav");
        var a = HostRun.Run("render", "--chain", $"mamba checkpoint={checkpoint} seed=4 engine=cpu prompt={prompt} prompt_seconds=1.5 | wav path={viaChain}", "--seconds", "0.5");
        Assert.True(a.ExitCode == 0, a.Output);
        var b = HostRun.Run("render", "--checkpoint", checkpoint, "--seed", "4", "--seconds", "0.5", "--out", classic, "--threads", "1",
            "--prompt", prompt, "--prompt-seconds", "1.5", "--engine", "cpu");
        Assert.True(b.ExitCode == 0, b.Output);
        Assert.Equal(File.ReadAllBytes(classic), File.ReadAllBytes(viaChain));
    }

    [Fact]
    public void AJsonChainFile_RendersAsItsTextDoes()
    {
        var checkpoint = RenderCommandTests.TinyCheckpoint(folder.File("model"));
        string fromText = folder.File("text.wav"), fromFile = folder.File("file.wav"), json = folder.File("chain.json");
        File.WriteAllText(json, $$"""
            { "generator": { "plugin": "mamba", "checkpoint": "{{checkpoint}}", "seed": 9 },
              "effects": [ { "plugin": "lowpass", "hz": 2500 } ],
              "sinks": [ { "plugin": "wav", "path": "{{fromFile}}" } ] }
            """);
        var a = HostRun.Run("render", "--chain", json, "--seconds", "0.4");
        Assert.True(a.ExitCode == 0, a.Output);
        var b = HostRun.Run("render", "--chain", $"mamba checkpoint={checkpoint} seed=9 | lowpass hz=2500 | wav path={fromText}", "--seconds", "0.4");
        Assert.True(b.ExitCode == 0, b.Output);
        Assert.Equal(File.ReadAllBytes(fromText), File.ReadAllBytes(fromFile));
    }

    [Theory]
    [InlineData("mamba checkpoint=samples/models/digits-small engine=torch | null", "a chain runs on the CPU engine of Mamba.Core (engine=cpu)")]
    [InlineData("mamba checkpoint=samples/models/digits-small prompt=no-such.wav | null", "no-such.wav")]
    [InlineData("mamba checkpoint=samples/models/digits-small prompt_seconds=0 | null", "prompt_seconds=0: must be in (0, 600]")]
    public void ABadMambaSetting_IsRefused(string chain, string expected)
    {
        var result = HostRun.Run("render", "--chain", chain.Replace("samples/models/digits-small", TestRepository.File("samples", "models", "digits-small")), "--seconds", "0.1");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Output);
    }

    [Theory]
    [InlineData("tone | pulse", "is a sound card; render runs offline")]
    [InlineData("tone", "the chain needs a sink")]
    public void AChainThatCannotRunOffline_IsRefused(string chain, string expected)
    {
        var result = HostRun.Run("render", "--chain", chain, "--seconds", "1");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Output);
    }

    [Fact]
    public void ChainWithCheckpointOrOut_IsRefused()
    {
        var result = HostRun.Run("render", "--chain", "tone | null", "--out", folder.File("x.wav"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("the chain names the model and the files", result.Output);
    }

    public void Dispose() => folder.Dispose();
}
