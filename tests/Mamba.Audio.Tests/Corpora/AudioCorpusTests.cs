using Mamba.Audio.Corpora;
using Mamba.Audio.Tests.Support;
using static Mamba.Audio.Tests.Corpora.CorpusTestFiles;

namespace Mamba.Audio.Tests.Corpora;

public class AudioCorpusTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder folder = new();
    private string Input => Path.Combine(folder.Path, "in");
    private string Output => Path.Combine(folder.Path, "corpus");

    public void Dispose() => folder.Dispose();

    /// <summary>Two files with known mu-law bytes, one per split (group rule on the first letter; fraction 0.5 and a seed that separates them).</summary>
    private (byte[] Train, byte[] Validation) BuildTwoSplits(float[] train, float[] validation)
    {
        var (trainWav, trainBytes) = Exact(train);
        var (validWav, validBytes) = Exact(validation);
        var rule = FindRuleSeparating("t", "v");
        Write(Input, "t-file.wav", trainWav);
        Write(Input, "v-file.wav", validWav);
        CorpusBuilder.Build(new CorpusBuildOptions([Input], Output, 16000, rule));
        return (trainBytes, validBytes);
    }

    private static CorpusSplitRule FindRuleSeparating(string trainGroup, string validationGroup)
    {
        for (long seed = 1; ; seed++)
        {
            var rule = new CorpusSplitRule(seed, 0.5, "^([a-z])-");
            if (rule.SplitOf(trainGroup) == CorpusSplit.Train && rule.SplitOf(validationGroup) == CorpusSplit.Validation) return rule;
        }
    }

    [Fact]
    public void Read_CopiesBytesFromTheSegmentStartPlusOffset()
    {
        int seed = TestSeed.Fresh();
        output.WriteLine($"seed {seed}");
        var (train, validation) = BuildTwoSplits(SampleCodec.Random(3000, seed), SampleCodec.Random(1000, seed + 1));
        using var corpus = AudioCorpus.Open(Output);
        var t = Assert.Single(corpus.Segments(CorpusSplit.Train));
        var v = Assert.Single(corpus.Segments(CorpusSplit.Validation));
        Assert.Equal(("t-file.wav", 3000L), (t.Source, t.Length));
        Assert.Equal(("v-file.wav", 1000L), (v.Source, v.Length));
        Assert.Equal(3000, corpus.Samples(CorpusSplit.Train));
        Assert.Equal(1000, corpus.Samples(CorpusSplit.Validation));
        Assert.Equal(16000, corpus.SampleRate);
        Assert.Matches("^[0-9a-f]{64}$", corpus.ContentHash);

        var buffer = new byte[500];
        corpus.Read(t, 1234, buffer);
        Assert.Equal(train.AsSpan(1234, 500).ToArray(), buffer);
        corpus.Read(v, 500, buffer);
        Assert.Equal(validation.AsSpan(500, 500).ToArray(), buffer);
        corpus.Read(v, 1000, Span<byte>.Empty);                             // empty read at the very end is fine
    }

    [Theory]
    [InlineData(-1, 10)]
    [InlineData(2991, 10)]
    [InlineData(0, 3001)]
    public void Read_OutsideTheSegment_ThrowsArgumentOutOfRange(long offset, int count)
    {
        BuildTwoSplits(SampleCodec.Random(3000, 1), SampleCodec.Random(1000, 2));
        using var corpus = AudioCorpus.Open(Output);
        var t = corpus.Segments(CorpusSplit.Train)[0];
        Assert.Throws<ArgumentOutOfRangeException>(() => corpus.Read(t, offset, new byte[count]));
        Assert.Throws<ArgumentOutOfRangeException>(() => corpus.Read(t with { Offset = 3500 }, 0, new byte[10]));
    }

    [Fact]
    public void UnigramEntropyBits_IsTheEntropyOfTheClassHistogram()
    {
        // train: classes of 0.0 and 0.5 equally often -> exactly 1 bit; validation: one class -> 0 bits.
        var train = Enumerable.Range(0, 4000).Select(i => i % 2 == 0 ? 0f : 0.5f).ToArray();
        var validation = Enumerable.Repeat(0.25f, 1000).ToArray();
        var (trainBytes, _) = BuildTwoSplits(train, validation);
        Assert.Equal(2, trainBytes.Distinct().Count());
        using var corpus = AudioCorpus.Open(Output);
        Assert.Equal(1.0, corpus.UnigramEntropyBits(CorpusSplit.Train), 12);
        Assert.Equal(0.0, corpus.UnigramEntropyBits(CorpusSplit.Validation), 12);
        Assert.Equal(1.0, corpus.Manifest.UnigramEntropyBits.Train, 12);
    }

    [Fact]
    public void UnigramEntropyBits_OfRandomData_MatchesAHistogramCountedHere()
    {
        int seed = TestSeed.Fresh();
        output.WriteLine($"seed {seed}");
        var (train, _) = BuildTwoSplits(SampleCodec.Random(20000, seed), SampleCodec.Random(10, seed + 1));
        var counts = train.GroupBy(b => b).Select(g => (double)g.Count() / train.Length);
        double expected = -counts.Sum(p => p * Math.Log2(p));
        using var corpus = AudioCorpus.Open(Output);
        Assert.Equal(expected, corpus.UnigramEntropyBits(CorpusSplit.Train), 10);
    }

    [Fact]
    public void Open_TruncatedAudioBin_ThrowsCorpusExceptionNamingIt()
    {
        BuildTwoSplits(SampleCodec.Random(3000, 1), SampleCodec.Random(1000, 2));
        string audio = Path.Combine(Output, "audio.bin");
        using (var f = new FileStream(audio, FileMode.Open)) f.SetLength(3999);
        var e = Assert.Throws<CorpusException>(() => AudioCorpus.Open(Output));
        output.WriteLine(e.Message);
        Assert.Contains("audio.bin", e.Message);
        Assert.Contains("3,999 bytes", e.Message);
        File.Delete(audio);
        Assert.Contains("missing", Assert.Throws<CorpusException>(() => AudioCorpus.Open(Output)).Message);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{}")]
    [InlineData("{\"formatVersion\": 1}")]
    public void Open_MalformedManifest_ThrowsCorpusExceptionNamingIt(string manifest)
    {
        BuildTwoSplits(SampleCodec.Random(300, 1), SampleCodec.Random(100, 2));
        File.WriteAllText(Path.Combine(Output, "manifest.json"), manifest);
        var e = Assert.Throws<CorpusException>(() => AudioCorpus.Open(Output));
        output.WriteLine(e.Message);
        Assert.Contains("manifest.json", e.Message);
        Assert.Contains("malformed", e.Message);
    }

    [Fact]
    public void Open_IndexFromAnotherBuild_OrUnknownVersion_OrMissingDirectory_ThrowsCorpusException()
    {
        BuildTwoSplits(SampleCodec.Random(300, 1), SampleCodec.Random(100, 2));
        string index = Path.Combine(Output, "index.json"), manifest = Path.Combine(Output, "manifest.json");
        string original = File.ReadAllText(index);
        File.WriteAllText(index, original.Replace("\"length\": 300", "\"length\": 299"));
        Assert.Contains("index.json", Assert.Throws<CorpusException>(() => AudioCorpus.Open(Output)).Message);
        File.WriteAllText(index, original);
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"formatVersion\": 1", "\"formatVersion\": 99"));
        Assert.Contains("format version 99", Assert.Throws<CorpusException>(() => AudioCorpus.Open(Output)).Message);
        Assert.Contains("no such corpus directory", Assert.Throws<CorpusException>(() => AudioCorpus.Open(Path.Combine(folder.Path, "nowhere"))).Message);
    }
}
