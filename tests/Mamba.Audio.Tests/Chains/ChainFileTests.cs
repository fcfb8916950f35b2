using Mamba.Audio.Chains;

namespace Mamba.Audio.Tests.Chains;

/// <summary>JSON chain files: the same chain as the text syntax, and a malformed file named with the place and the fault.</summary>
public class ChainFileTests : IDisposable
{
    private readonly TempFolder folder = new();

    private string Write(string json)
    {
        var path = folder.File($"chain-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void AJsonChain_IsTheChainItsTextWouldBe()
    {
        var path = Write("""
            // comments and trailing commas are allowed
            {
              "generator": { "plugin": "tone", "hz": 330, "db": -6 },
              "effects": [ { "plugin": "lowpass", "hz": 3000 }, { "plugin": "gain", "db": -3.5 }, ],
              "sinks": [ { "plugin": "null" }, { "plugin": "wav", "path": "take.wav" } ]
            }
            """);
        Assert.True(ChainFile.IsFile(path));
        var fromFile = ChainFile.Parse(path);
        var fromText = ChainSyntax.Parse("tone hz=330 db=-6 | lowpass hz=3000 | gain db=-3.5 | null + wav path=take.wav");
        Assert.Equal(fromText.Generator.ToString(), fromFile.Generator.ToString());
        Assert.Equal(fromText.Effects.Select(e => e.ToString()), fromFile.Effects.Select(e => e.ToString()));
        Assert.Equal(fromText.Sinks.Select(e => e.ToString()), fromFile.Sinks.Select(e => e.ToString()));
        using var chain = Chain.Build(fromFile, PluginCatalog.BuiltIn(), new ChainContext());
        Assert.Equal(["tone", "lowpass", "gain", "null", "wav"], chain.Plugins.Select(p => p.Name));
    }

    [Theory]
    [InlineData("{ \"generator\": { \"plugin\": \"tone\" ", "not JSON at line 1")]
    [InlineData("[1, 2]", "expected an object with \"generator\"")]
    [InlineData("{ \"effects\": [] }", "no \"generator\"")]
    [InlineData("{ \"generator\": { \"hz\": 3 } }", "generator has no \"plugin\"")]
    [InlineData("{ \"generator\": { \"plugin\": \"tone\" }, \"sink\": [] }", "unknown key \"sink\"")]
    [InlineData("{ \"generator\": { \"plugin\": \"tone\" }, \"effects\": { \"plugin\": \"gain\" } }", "\"effects\" must be a list")]
    [InlineData("{ \"generator\": { \"plugin\": \"tone\", \"hz\": [440] } }", "generator.hz: expected a string, a number or true/false")]
    [InlineData("{ \"generator\": { \"plugin\": \"tone\" }, \"effects\": [ 3 ] }", "effects[0] must be an object")]
    public void AMalformedFile_IsAClearError(string json, string expected)
    {
        var path = Write(json);
        var e = Assert.Throws<ArgumentException>(() => ChainFile.Parse(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AMissingFile_IsAClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => ChainFile.Parse(folder.File("none.json")));
        Assert.Contains("cannot read the chain file", e.Message);
    }

    public void Dispose() => folder.Dispose();
}
