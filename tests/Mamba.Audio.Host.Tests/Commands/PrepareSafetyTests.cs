using System.Text.Json;
using Mamba.Audio.Host.Tests.Support;

namespace Mamba.Audio.Host.Tests.Commands;

/// <summary>
/// prepare fails loudly when it produced nothing, writes only into a new or empty folder or an earlier
/// corpus, names every input it cannot read without giving up on the rest, and tells an output
/// failure (a full disk) from an unreadable input, keeping the previous corpus.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class PrepareSafetyTests : IDisposable
{
    private readonly TempFolder folder = new();
    private string Input => folder.File("in");
    private string Output => folder.File("corpus");

    [Fact]
    public void EmptyFolder_IsAnError_AndNoCorpusIsWritten()
    {
        Directory.CreateDirectory(Input);
        var result = HostRun.Run("prepare", Input, "--out", Output);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no WAV file found", result.Output);
        Assert.False(Directory.Exists(Output));
    }

    [Fact]
    public void OnlyBrokenOrOtherFormatFiles_IsAnError_AndNoCorpusIsWritten()
    {
        Directory.CreateDirectory(Input);
        File.WriteAllText(Path.Combine(Input, "broken.wav"), "not audio");
        File.WriteAllText(Path.Combine(Input, "song.mp3"), "ID3");
        var result = HostRun.Run("prepare", Input, "--out", Output);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("none of the 1 WAV file(s) could be read", result.Output);
        Assert.False(Directory.Exists(Output));

        File.Delete(Path.Combine(Input, "broken.wav"));
        var onlyMp3 = HostRun.Run("prepare", Input, "--out", Output);
        Assert.Equal(2, onlyMp3.ExitCode);
        Assert.Contains("no WAV file found that can be read", onlyMp3.Output);
    }

    [Fact]
    public void OutEqualToOrInsideAnInput_IsRefused_AndTheInputIsUntouched()
    {
        ToneFiles.Write(Path.Combine(Input, "a.wav"), 16000, 0.1);
        foreach (var output in new[] { Input, Path.Combine(Input, "corpus") })
        {
            var result = HostRun.Run("prepare", Input, "--out", output);
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("the corpus would be written among the audio it reads", result.Output);
            Assert.Equal(["a.wav"], Directory.GetFileSystemEntries(Input).Select(Path.GetFileName));
        }
    }

    [Fact]
    public void OutHoldingOtherFiles_IsRefused_AndThoseFilesAreUntouched()
    {
        ToneFiles.Write(Path.Combine(Input, "a.wav"), 16000, 0.1);
        Directory.CreateDirectory(Output);
        File.WriteAllText(Path.Combine(Output, "notes.txt"), "mine");
        File.WriteAllText(Path.Combine(Output, "index.json"), "also mine");
        var result = HostRun.Run("prepare", Input, "--out", Output);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("not a corpus (notes.txt)", result.Output);
        Assert.Equal("also mine", File.ReadAllText(Path.Combine(Output, "index.json")));
        Assert.Equal(2, Directory.GetFileSystemEntries(Output).Length);
    }

    [Fact]
    public void UnreadableFileAndFolder_AreSkippedByName_AndTheRestIsBuilt()
    {
        // Before: one unreadable file ended the whole build with a stack trace (exit 134).
        ToneFiles.Write(Path.Combine(Input, "good.wav"), 16000, 0.2);
        var secret = ToneFiles.Write(Path.Combine(Input, "secret.wav"), 16000, 0.2);
        var locked = Path.Combine(Input, "locked");
        ToneFiles.Write(Path.Combine(locked, "inside.wav"), 16000, 0.2);
        File.SetUnixFileMode(secret, UnixFileMode.None);
        File.SetUnixFileMode(locked, UnixFileMode.None);

        var result = HostRun.RunUnprivileged("prepare", Input, "--out", Output);
        Assert.True(result.ExitCode == 0, result.Output);
        using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Output, "manifest.json"))))
        {
            var skipped = manifest.RootElement.GetProperty("skipped").EnumerateArray()
                .Select(s => (s.GetProperty("source").GetString()!, s.GetProperty("reason").GetString()!)).ToList();
            Assert.Contains(skipped, s => s.Item1.EndsWith("secret.wav") && s.Item2.Contains("cannot"));
            Assert.Contains(skipped, s => s.Item1.Contains("locked") && s.Item2.Contains("folder cannot be read"));
            Assert.Equal(1, manifest.RootElement.GetProperty("files").GetProperty("train").GetInt32()
                            + manifest.RootElement.GetProperty("files").GetProperty("validation").GetInt32());
        }

        var strict = HostRun.RunUnprivileged("prepare", Input, "--out", folder.File("strict"), "--strict");
        Assert.Equal(2, strict.ExitCode);
        Assert.Contains("--strict", strict.Output);
        File.SetUnixFileMode(locked, (UnixFileMode)0x1FF);   // so the folder can be deleted
    }

    [Fact]
    public void UnwritableOut_IsAnError_NotACrash()
    {
        ToneFiles.Write(Path.Combine(Input, "a.wav"), 16000, 0.1);
        var result = HostRun.Run("prepare", Input, "--out", "/sys/mamba-audio-corpus");
        Assert.True(result.ExitCode == 2, result.Output);
        Assert.Contains("/sys/mamba-audio-corpus", result.Output);
        Assert.DoesNotContain("Unhandled exception", result.Output);
    }

    [Fact]
    public void FullDisk_IsAnErrorOfTheRun_NotOfTheInputs_AndThePreviousCorpusIsKept()
    {
        // Before: the inputs were listed as "skipped: cannot be read" and an empty corpus was written with exit 0.
        var small = folder.File("small");
        var big = folder.File("big");
        ToneFiles.Write(Path.Combine(small, "short.wav"), 16000, 0.5);
        for (int i = 0; i < 3; i++) ToneFiles.Write(Path.Combine(big, $"long{i}.wav"), 16000, 10, 200 + 100 * i);
        var disk = folder.File("disk");
        Directory.CreateDirectory(disk);
        // A 256 KiB file system of its own, in a private mount namespace (no root needed: -r maps this user).
        var result = HostRun.Shell($$"""
            unshare -rm bash -c '
              mount -t tmpfs -o size=256k tmpfs "$0" || exit 90
              eval "$MAMBA_AUDIO prepare \"$1\" --out \"$0/corpus\"" > "$3/first.log" 2>&1; echo "first=$?"
              cp -r "$0/corpus" "$3/before"
              eval "$MAMBA_AUDIO prepare \"$1\" \"$2\" --out \"$0/corpus\"" > "$3/second.log" 2>&1; echo "second=$?"
              cp -r "$0/corpus" "$3/after"
            ' '{{disk}}' '{{small}}' '{{big}}' '{{folder.Path}}'
            """);
        Assert.True(result.ExitCode == 0, result.Output);
        string first = File.ReadAllText(folder.File("first.log")), second = File.ReadAllText(folder.File("second.log"));
        Assert.True(result.Output.Contains("first=0"), first);
        Assert.True(result.Output.Contains("second=2"), second);
        Assert.Contains("the corpus could not be written", second);
        Assert.Contains("the previous corpus is unchanged", second);
        Assert.DoesNotContain("skipped", second);
        foreach (var file in Directory.GetFiles(folder.File("before")))
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(Path.Combine(folder.File("after"), Path.GetFileName(file))));
        Assert.Equal(Directory.GetFiles(folder.File("before")).Length, Directory.GetFiles(folder.File("after")).Length);
    }

    [Fact]
    public void FloatSamplesThatAreNotAudio_AreWarnedAndListed_OrRefusedWithStrict()
    {
        // Before: NaN, infinity and 1e10 passed prepare (also --strict) without a word, smeared by the resampler.
        ToneFiles.Write(Path.Combine(Input, "clean.wav"), 16000, 0.2);
        var samples = new float[8000];
        samples[100] = float.NaN;
        samples[200] = float.PositiveInfinity;
        samples[300] = 1e10f;
        var bytes = new byte[samples.Length * 4];
        Buffer.BlockCopy(samples, 0, bytes, 0, bytes.Length);
        var bad = Path.Combine(Input, "bad-floats.wav");
        using (var writer = new NAudio.Wave.WaveFileWriter(bad, NAudio.Wave.WaveFormat.CreateIeeeFloatWaveFormat(22050, 1))) writer.Write(bytes, 0, bytes.Length);

        var lenient = HostRun.Run("prepare", Input, "--out", Output);
        Assert.True(lenient.ExitCode == 0, lenient.Output);
        Assert.Contains("warning", lenient.Output);
        Assert.Contains("2 frame(s) with NaN or infinite samples", lenient.Output);
        using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Output, "manifest.json"))))
        {
            var warnings = manifest.RootElement.GetProperty("warnings").EnumerateArray().Select(w => w.GetProperty("source").GetString() + ": " + w.GetProperty("reason").GetString()).ToList();
            Assert.Contains(warnings, w => w.Contains("bad-floats.wav") && w.Contains("NaN or infinite"));
            Assert.Contains(warnings, w => w.Contains("bad-floats.wav") && w.Contains("beyond full scale"));
        }

        var strict = HostRun.Run("prepare", Input, "--out", folder.File("strict"), "--strict");
        Assert.Equal(2, strict.ExitCode);
        Assert.Contains("bad-floats.wav: frame 100 holds a sample that is NaN or infinite", strict.Output);

        var model = RenderCommandTests.TinyCheckpoint(folder.File("model"));
        var render = HostRun.Run("render", "--checkpoint", model, "--out", folder.File("continued.wav"), "--prompt", bad, "--seconds", "0.05");
        Assert.True(render.ExitCode == 0, render.Output);
        Assert.Contains($"warning: --prompt {bad}: 2 frame(s) with NaN or infinite samples", render.Output);
    }

    public void Dispose()
    {
        foreach (var d in Directory.Exists(Input) ? Directory.GetDirectories(Input, "*", SearchOption.AllDirectories) : [])
            File.SetUnixFileMode(d, (UnixFileMode)0x1FF);
        folder.Dispose();
    }
}
