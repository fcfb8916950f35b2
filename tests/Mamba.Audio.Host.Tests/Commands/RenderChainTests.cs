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
