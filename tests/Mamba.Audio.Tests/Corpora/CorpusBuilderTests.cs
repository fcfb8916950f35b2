using Mamba.Audio.Corpora;
using Mamba.Audio.Files;
using Mamba.Audio.Tests.Support;
using static Mamba.Audio.Tests.Corpora.CorpusTestFiles;

namespace Mamba.Audio.Tests.Corpora;

public class CorpusBuilderTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder folder = new();
    private string Input => Path.Combine(folder.Path, "in");
    private string Output => Path.Combine(folder.Path, "corpus");

    public void Dispose() => folder.Dispose();

    /// <summary>Good files of several formats, two with lying sizes (kept with a warning), and broken ones (skipped).</summary>
    private void WriteMixedFolder()
    {
        Write(Input, "tone16k-mono.wav", Tone(16000, 1, 0.5));
        Write(Input, "noise44k-stereo-24bit.wav", Tone(44100, 2, 0.4, noiseSeed: 3, bits: 24));
        Write(Input, "sub/tone8k-8bit.WAV", Tone(8000, 1, 0.3, bits: 8));
        Write(Input, "sub/deeper/float-22k-3ch.wave", Tone(22050, 3, 0.25, bits: 32, format: WavSampleFormat.IeeeFloat));
        var cut = Tone(16000, 1, 0.5).Build();
        Write(Input, "lying/data-size-larger-than-file.wav", cut[..(cut.Length - 2000)]);
        Write(Input, "lying/truncated-data-chunk.wav", Tone(16000, 1, 0.1) with { Data = new byte[3201] });
        Write(Input, "broken/zero-channels.wav", new WavBuilder { Channels = 0, BlockAlign = 2, Data = new byte[64] });
        Write(Input, "broken/absurd-rate.wav", new WavBuilder { SampleRate = 5_000_000, Data = new byte[64] });
        Write(Input, "broken/not-riff.wav", "this is text, not audio"u8.ToArray());
        Write(Input, "broken/empty.wav", []);
        Write(Input, "broken/no-samples.wav", new WavBuilder());
        Write(Input, "broken/adpcm.wav", new WavBuilder { FormatTag = 2, BitsPerSample = 4, BlockAlign = 256, Data = new byte[512] });
        Write(Input, "other/song.mp3", [1, 2, 3]);
        Write(Input, "other/readme.txt", "notes"u8.ToArray());
    }

    private static CorpusBuildReport Build(string input, string output, CorpusSplitRule? rule = null, bool strict = false) =>
        CorpusBuilder.Build(new CorpusBuildOptions([input], output, 16000, rule, strict));

    [Fact]
    public void Build_MixedFolder_IncludesGoodFiles_SkipsBrokenOnesWithReasons_AndRecordsWarnings()
    {
        WriteMixedFolder();
        var report = Build(Input, Output);
        var m = report.Manifest;
        foreach (var s in m.Skipped) output.WriteLine($"skipped {s.Source}: {s.Reason}");
        foreach (var w in m.Warnings) output.WriteLine($"warning {w.Source}: {w.Reason}");

        string Reason(string name) => Assert.Single(m.Skipped, s => s.Source.EndsWith(name)).Reason;
        Assert.Contains("zero channels", Reason("zero-channels.wav"));
        Assert.Contains("absurd sample rate 5000000 Hz", Reason("absurd-rate.wav"));
        Assert.Contains("not a RIFF/WAVE file", Reason("not-riff.wav"));
        Assert.Contains("empty file", Reason("empty.wav"));
        Assert.Contains("no audio", Reason("no-samples.wav"));
        Assert.Contains("unsupported encoding", Reason("adpcm.wav"));
        Assert.Contains("not a WAV file (.mp3", Reason("song.mp3"));
        Assert.Equal(7, m.Skipped.Count);                                   // readme.txt is ignored, not skipped
        Assert.Contains(m.Warnings, w => w.Source.EndsWith("data-size-larger-than-file.wav") && w.Reason.Contains("declares 16000 bytes"));
        Assert.Contains(m.Warnings, w => w.Source.EndsWith("truncated-data-chunk.wav") && w.Reason.Contains("truncated data chunk"));

        using var corpus = AudioCorpus.Open(Output);
        var all = corpus.Segments(CorpusSplit.Train).Concat(corpus.Segments(CorpusSplit.Validation)).ToDictionary(s => s.Source);
        Assert.Equal(6, all.Count);
        Assert.Equal(8000, all["tone16k-mono.wav"].Length);
        Assert.Equal(7000, all["lying/data-size-larger-than-file.wav"].Length);   // the 7,000 samples that are there
        Assert.Equal(1600, all["lying/truncated-data-chunk.wav"].Length);          // the last half frame dropped
        Assert.InRange(all["noise44k-stereo-24bit.wav"].Length, 6400 - 2, 6400 + 2);  // 0.4 s at 16 kHz
        Assert.InRange(all["sub/tone8k-8bit.WAV"].Length, 4800 - 2, 4800 + 2);
        Assert.InRange(all["sub/deeper/float-22k-3ch.wave"].Length, 4000 - 2, 4000 + 2);
        Assert.Equal(corpus.Samples(CorpusSplit.Train) + corpus.Samples(CorpusSplit.Validation), new FileInfo(Path.Combine(Output, "audio.bin")).Length);
        Assert.Equal(6, report.Encoded.Count);
    }

    [Fact]
    public void Build_SameRateMonoFile_StoresExactlyTheMuLawOfItsSamples()
    {
        var (wav, expected) = Exact(SampleCodec.Random(5000, TestSeed.Fresh()));
        Write(Input, "a.wav", wav);
        Build(Input, Output);
        using var corpus = AudioCorpus.Open(Output);
        var segment = corpus.Segments(CorpusSplit.Train).Concat(corpus.Segments(CorpusSplit.Validation)).Single();
        var bytes = new byte[segment.Length];
        corpus.Read(segment, 0, bytes);
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void Build_Strict_FailsOnABrokenFile_AndLeavesTheExistingCorpusByteIdentical()
    {
        Write(Input, "a.wav", Tone(16000, 1, 0.2));
        Write(Input, "b.wav", Tone(22050, 2, 0.2));
        Build(Input, Output, strict: true);
        var before = Snapshot(Output);

        Write(Input, "c.wav", Tone(16000, 1, 0.2));
        Write(Input, "zz-broken.wav", new WavBuilder { Channels = 0, BlockAlign = 2, Data = new byte[64] });
        var e = Assert.Throws<CorpusException>(() => Build(Input, Output, strict: true));
        output.WriteLine(e.Message);
        Assert.Contains("zz-broken.wav", e.Message);
        Assert.Contains("zero channels", e.Message);

        var after = Snapshot(Output);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());              // no temp files left behind
        foreach (var (name, bytes) in before) Assert.Equal(bytes, after[name]);
        using var corpus = AudioCorpus.Open(Output);
        Assert.Equal(2, corpus.Manifest.Files.Train + corpus.Manifest.Files.Validation);
    }

    [Fact]
    public void Build_Strict_RefusesADataSizeThatLies_WhichLenientModeKeepsWithAWarning()
    {
        var cut = Tone(16000, 1, 0.5).Build();
        Write(Input, "cut.wav", cut[..(cut.Length - 100)]);
        var e = Assert.Throws<CorpusException>(() => Build(Input, Output, strict: true));
        Assert.Contains("declares 16000 bytes", e.Message);
        Assert.False(File.Exists(Path.Combine(Output, "manifest.json")));
        var lenient = Build(Input, Output);
        Assert.Single(lenient.Manifest.Warnings);
        Assert.Equal(7950, lenient.Manifest.TotalSamples);
    }

    [Fact]
    public void Split_IsDeterministic_KeepsEachGroupTogether_AndDependsOnTheSeed()
    {
        for (int voice = 0; voice < 30; voice++)
            for (int digit = 0; digit < 3; digit++)
                Write(Input, $"v{voice:D2}/voice{voice:D2}_d{digit}.wav", Tone(16000, 1, 0.01, hz: 200 + voice));
        var rule = new CorpusSplitRule(Seed: 7, ValidationFraction: 0.3, GroupBy: @"^v\d+/(voice\d+)_");
        var first = Build(Input, Output, rule);
        var second = Build(Input, Path.Combine(folder.Path, "again"), rule with { });

        var index = ReadIndex(Output);
        Assert.Equal(ReadIndex(Path.Combine(folder.Path, "again")).Select(f => (f.Path, f.Split)), index.Select(f => (f.Path, f.Split)));
        Assert.Equal(first.Manifest.ContentHash, second.Manifest.ContentHash);
        foreach (var group in index.GroupBy(f => f.Group))
        {
            Assert.Equal(3, group.Count());
            Assert.Single(group.Select(f => f.Split).Distinct());
        }
        Assert.Equal(30, first.Manifest.Groups.Train + first.Manifest.Groups.Validation);
        Assert.InRange(first.Manifest.Groups.Validation, 1, 29);
        output.WriteLine($"validation groups: {first.Manifest.Groups.Validation} of 30 (fraction 0.3, seed 7)");

        var otherSeed = new CorpusSplitRule(8, 0.3, rule.GroupBy);
        Assert.NotEqual(
            Enumerable.Range(0, 30).Select(v => rule.SplitOf($"voice{v:D2}")),
            Enumerable.Range(0, 30).Select(v => otherSeed.SplitOf($"voice{v:D2}")));
    }

    [Fact]
    public void Split_OfAGroup_DependsOnlyOnSeedAndName_SoAddingFilesMovesNothing()
    {
        var rule = new CorpusSplitRule(1, 0.5, "^([a-z]+)-");
        for (int i = 0; i < 20; i++) Write(Input, $"g{(char)('a' + i)}-1.wav", Tone(16000, 1, 0.01));
        Build(Input, Output, rule);
        var before = ReadIndex(Output).ToDictionary(f => f.Path, f => f.Split);
        for (int i = 0; i < 20; i++) Write(Input, $"g{(char)('a' + i)}-2.wav", Tone(16000, 1, 0.01));
        Write(Input, "new-1.wav", Tone(16000, 1, 0.01));
        Build(Input, Output, rule);
        var after = ReadIndex(Output);
        foreach (var (path, split) in before) Assert.Equal(split, after.Single(f => f.Path == path).Split);
        foreach (var f in after) Assert.Equal(new CorpusSplitRule(1, 0.5).SplitOf(f.Group), f.Split);
    }

    [Fact]
    public void Split_OfFiveFilesAtOneFifth_HoldsOutAtLeastOne_AndSaysSo()
    {
        // Seed 1, fraction 0.2: the hash alone holds out none of these five (as a user found), which
        // left train without validation and said nothing.
        var rule = new CorpusSplitRule(1, 0.2);
        var names = Enumerable.Range(0, 5).Select(i => $"clip{i}.wav").ToArray();
        Assert.DoesNotContain(names, n => rule.SplitOf(n) == CorpusSplit.Validation);
        foreach (var name in names) Write(Input, name, Tone(16000, 1, 0.05));
        var report = Build(Input, Output, rule);
        output.WriteLine(report.Manifest.SplitNote ?? "(no note)");
        Assert.Equal(1, report.Manifest.Files.Validation);
        Assert.Equal(4, report.Manifest.Files.Train);
        Assert.Contains("held out none of 5 groups", report.Manifest.SplitNote);
        string heldOut = ReadIndex(Output).Single(f => f.Split == CorpusSplit.Validation).Group;
        Assert.Equal(names.MinBy(rule.Score), heldOut);   // deterministic: the lowest hash
        Build(Input, Path.Combine(folder.Path, "again"), rule);
        Assert.Equal(heldOut, ReadIndex(Path.Combine(folder.Path, "again")).Single(f => f.Split == CorpusSplit.Validation).Group);
    }

    [Fact]
    public void Split_OfASingleGroup_HasNoValidation_AndTheManifestSaysWhy()
    {
        Write(Input, "only.wav", Tone(16000, 1, 0.05));
        var report = Build(Input, Output, new CorpusSplitRule(1, 0.5));
        Assert.Equal(0, report.Manifest.Files.Validation);
        Assert.Contains("no validation split", report.Manifest.SplitNote);
    }

    [Fact]
    public void Incremental_AfterAddingAFile_EncodesOnlyTheNewFile_AndMatchesAFreshBuild()
    {
        Write(Input, "a.wav", Tone(16000, 1, 0.2));
        Write(Input, "c.wav", Tone(44100, 2, 0.2, noiseSeed: 1));
        Build(Input, Output);
        Write(Input, "b.wav", Tone(22050, 1, 0.3, hz: 300));            // sorts between the two

        var update = Build(Input, Output);
        Assert.Equal(["b.wav"], update.Encoded);
        Assert.Equal(["a.wav", "c.wav"], update.Reused);

        string fresh = Path.Combine(folder.Path, "fresh");
        var full = Build(Input, fresh);
        Assert.Equal(3, full.Encoded.Count);
        Assert.Equal(File.ReadAllBytes(Path.Combine(fresh, "audio.bin")), File.ReadAllBytes(Path.Combine(Output, "audio.bin")));
        Assert.Equal(full.Manifest.ContentHash, update.Manifest.ContentHash);
        Assert.Equal(ReadIndex(fresh).Select(f => (f.Path, f.Offset, f.Length, f.Split, f.Sha256)),
                     ReadIndex(Output).Select(f => (f.Path, f.Offset, f.Length, f.Split, f.Sha256)));
    }

    [Fact]
    public void Incremental_ReencodesChangedFiles_ReusesTouchedOnesByHash_AndDropsDeletedOnes()
    {
        Write(Input, "changed.wav", Tone(16000, 1, 0.2));
        Write(Input, "touched.wav", Tone(16000, 1, 0.2, hz: 500));
        Write(Input, "deleted.wav", Tone(16000, 1, 0.2, hz: 600));
        Build(Input, Output);

        Write(Input, "changed.wav", Tone(16000, 1, 0.3, hz: 700));
        File.SetLastWriteTimeUtc(Path.Combine(Input, "touched.wav"), DateTime.UtcNow.AddHours(1));
        File.Delete(Path.Combine(Input, "deleted.wav"));
        var update = Build(Input, Output);

        Assert.Equal(["changed.wav"], update.Encoded);
        Assert.Equal(["touched.wav"], update.Reused);
        Assert.Equal(["deleted.wav"], update.Dropped);
        Assert.Equal(4800 + 3200, update.Manifest.TotalSamples);
        Assert.Equal(Build(Input, Path.Combine(folder.Path, "fresh")).Manifest.ContentHash, update.Manifest.ContentHash);
    }

    [Fact]
    public void Incremental_OverAnUnreadableCorpus_RebuildsEverything_AndSaysWhy()
    {
        Write(Input, "a.wav", Tone(16000, 1, 0.2));
        Build(Input, Output);
        File.WriteAllText(Path.Combine(Output, "index.json"), "{ broken");
        var update = Build(Input, Output);
        Assert.Equal(["a.wav"], update.Encoded);
        Assert.Contains("cannot be reused", update.PreviousCorpusProblem);
        using var corpus = AudioCorpus.Open(Output);
        Assert.Equal(3200, corpus.Manifest.TotalSamples);
    }

    [Fact]
    public void Build_FilesNamedDirectly_AreReadWhateverTheirExtension()
    {
        string wav = Write(Input, "clip.dat", Tone(16000, 1, 0.1));
        string text = Write(Input, "notes.bin", "text"u8.ToArray());
        var report = CorpusBuilder.Build(new CorpusBuildOptions([wav, text], Output), cancel: TestContext.Current.CancellationToken);
        Assert.Equal(["clip.dat"], report.Encoded);
        Assert.Contains("not a RIFF/WAVE file", Assert.Single(report.Manifest.Skipped).Reason);
    }

    [Fact]
    public void Build_InvalidGroupRuleOrInput_ThrowsNamingTheProblem()
    {
        Directory.CreateDirectory(Input);
        Assert.Contains("capture group", Assert.Throws<ArgumentException>(() => Build(Input, Output, new CorpusSplitRule(GroupBy: "^abc"))).Message);
        Assert.Contains("not a valid regular expression", Assert.Throws<ArgumentException>(() => Build(Input, Output, new CorpusSplitRule(GroupBy: "(("))).Message);
        Assert.Contains("no such file or folder", Assert.Throws<CorpusException>(() => Build(Path.Combine(folder.Path, "missing"), Output)).Message);
    }

    private static IReadOnlyList<CorpusIndexEntry> ReadIndex(string corpus) =>
        System.Text.Json.JsonSerializer.Deserialize<CorpusIndex>(File.ReadAllText(Path.Combine(corpus, "index.json")), CorpusLayout.Json)!.Files;
}
