using System.Text.Json;
using Mamba.Audio.Corpora;
using Mamba.Audio.Files;

namespace Mamba.Audio.Host.Tests.Commands;

public class PrepareCommandTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("mamba-prepare-");
    private string Input => Path.Combine(dir.FullName, "in");
    private string Output => Path.Combine(dir.FullName, "corpus");

    public void Dispose() => dir.Delete(recursive: true);

    private void WriteTone(string name, int rate, double seconds, double hz = 440) =>
        Support.ToneFiles.Write(Path.Combine(Input, name), rate, seconds, hz);

    [Fact]
    public void Prepare_FolderWithABrokenFile_BuildsTheCorpus_ListsTheSkippedFile_ExitCode0()
    {
        for (int voice = 0; voice < 6; voice++) WriteTone($"voice{voice}_one.wav", voice % 2 == 0 ? 16000 : 22050, 0.25, 300 + 50 * voice);
        File.WriteAllText(Path.Combine(Input, "broken.wav"), "not audio");

        int code = MambaAudioApp.Run(["prepare", Input, "--out", Output, "--group-by", "^(voice\\d)_", "--validation-fraction", "0.5", "--seed", "3"]);
        Assert.Equal(0, code);

        using var corpus = AudioCorpus.Open(Output);
        Assert.Equal(6, corpus.Segments(CorpusSplit.Train).Count + corpus.Segments(CorpusSplit.Validation).Count);
        Assert.Equal(6 * 4000, corpus.Samples(CorpusSplit.Train) + corpus.Samples(CorpusSplit.Validation));
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Output, "manifest.json")));
        var skipped = Assert.Single(manifest.RootElement.GetProperty("skipped").EnumerateArray());
        Assert.EndsWith("broken.wav", skipped.GetProperty("source").GetString());
        Assert.Contains("not a RIFF/WAVE file", skipped.GetProperty("reason").GetString());
        Assert.Equal(3, manifest.RootElement.GetProperty("split").GetProperty("seed").GetInt64());
    }

    [Fact]
    public void Prepare_Strict_WithABrokenFile_ExitsWith2_AndLeavesTheCorpusByteIdentical()
    {
        WriteTone("a.wav", 16000, 0.2);
        Assert.Equal(0, MambaAudioApp.Run(["prepare", Input, "--out", Output]));
        var before = Directory.EnumerateFiles(Output).ToDictionary(f => f, File.ReadAllBytes);

        WriteTone("b.wav", 16000, 0.2);
        File.WriteAllBytes(Path.Combine(Input, "empty.wav"), []);
        Assert.Equal(2, MambaAudioApp.Run(["prepare", Input, "--out", Output, "--strict"]));

        Assert.Equal(before.Keys.Order(), Directory.EnumerateFiles(Output).Order());
        foreach (var (path, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData("--validation-fraction", "1.5")]
    [InlineData("--rate", "0")]
    [InlineData("--group-by", "no-group")]
    [InlineData("--group-by", "((")]
    public void Prepare_BadOption_IsRejectedWithExitCode2(string option, string value)
    {
        WriteTone("a.wav", 16000, 0.1);
        Assert.Equal(2, MambaAudioApp.Run(["prepare", Input, "--out", Output, option, value]));
        Assert.False(Directory.Exists(Output));
    }

    [Fact]
    public void Prepare_MissingOutOrInput_IsRejectedWithExitCode2()
    {
        WriteTone("a.wav", 16000, 0.1);
        Assert.Equal(2, MambaAudioApp.Run(["prepare", Input]));
        Assert.Equal(2, MambaAudioApp.Run(["prepare", Path.Combine(dir.FullName, "missing"), "--out", Output]));
    }

    [Fact]
    public void Train_OnACorpusWithoutValidation_IsRefusedWithThePlainReason()
    {
        WriteTone("only.wav", 16000, 0.5);
        Assert.Equal(0, MambaAudioApp.Run(["prepare", Input, "--out", Output]));
        using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Output, "manifest.json"))))
            Assert.Contains("no validation split", manifest.RootElement.GetProperty("splitNote").GetString());
        string run = Path.Combine(dir.FullName, "run");
        var result = Support.HostRun.Run("train", "--corpus", Output, "--out", run, "--preset", "tiny", "--steps", "2", "--device", "cpu");
        Assert.Equal(2, result.ExitCode);
        // Not "no file of at least N samples (longest: 0)", which sent users after --crop.
        Assert.Contains("the corpus has no validation split", result.Output.Replace("\n", " "));
        Assert.DoesNotContain("longest", result.Output);
    }
}
