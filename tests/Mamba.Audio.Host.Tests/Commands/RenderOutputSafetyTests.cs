using Mamba.Audio.Host.Commands;
using Mamba.Audio.Host.Tests.Support;
using NAudio.Wave;

namespace Mamba.Audio.Host.Tests.Commands;

/// <summary>
/// render writes only its .wav files and their sidecar, never inside the checkpoint, never over an
/// existing file without --force, and a replaced file changes only when the new one is whole.
/// </summary>
public class RenderOutputSafetyTests : IDisposable
{
    private readonly TempFolder folder = new();
    private readonly string checkpoint;

    public RenderOutputSafetyTests() => checkpoint = RenderCommandTests.TinyCheckpoint(folder.File("model"));

    private HostRun.Result Render(string output, params string[] more) =>
        HostRun.Run(["render", "--checkpoint", checkpoint, "--out", output, "--seconds", "0.05", "--engine", "cpu", "--threads", "1", .. more]);

    [Fact]
    public void OutNotAWavFile_IsRefused_BeforeAnythingIsWritten()
    {
        // Before: --out a.json wrote the WAV, then replaced it with the JSON report.
        var result = Render(folder.File("a.json"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("must name a .wav file", result.Output);
        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void OutInsideTheCheckpoint_IsRefused_AndTheCheckpointIsUntouched()
    {
        // Before: --out ck/config.wav replaced the checkpoint's config.json with the render report.
        var config = Path.Combine(checkpoint, "config.json");
        var before = File.ReadAllBytes(config);
        var listing = Directory.GetFiles(checkpoint).Order().ToArray();
        var result = Render(Path.Combine(checkpoint, "config.wav"), "--force");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("inside the checkpoint directory", result.Output);
        Assert.Equal(before, File.ReadAllBytes(config));
        Assert.Equal(listing, Directory.GetFiles(checkpoint).Order().ToArray());
    }

    [Fact]
    public void ExistingSidecarOrWav_IsNotReplaced_WithoutForce_AndIsWithIt()
    {
        string wav = folder.File("take.wav"), json = folder.File("take.json");
        File.WriteAllText(json, "the user's notes");
        var refused = Render(wav);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"{json} exists", refused.Output);
        Assert.Contains("--force", refused.Output);
        Assert.Equal("the user's notes", File.ReadAllText(json));
        Assert.False(File.Exists(wav), "a refused render wrote its WAV");

        File.WriteAllText(wav, "not even audio");
        Assert.Equal(2, Render(wav).ExitCode);
        Assert.Equal("not even audio", File.ReadAllText(wav));

        var forced = Render(wav, "--force");
        Assert.True(forced.ExitCode == 0, forced.Output);
        using (var reader = new WaveFileReader(wav)) Assert.Equal(800, reader.SampleCount);
        Assert.StartsWith("{", File.ReadAllText(json));
        Assert.False(File.Exists(folder.File("take.partial.wav")), "the working file was left behind");
    }

    [Fact]
    public void ExistingTakeOfSeveral_IsNotReplaced_WithoutForce()
    {
        string take2 = folder.File("set-take2.wav");
        File.WriteAllText(take2, "keep me");
        var result = Render(folder.File("set.wav"), "--takes", "3");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("set-take2.wav exists", result.Output);
        Assert.Equal("keep me", File.ReadAllText(take2));
    }

    [Fact]
    public void OutNamingADirectory_OrAnUnwritablePlace_IsAnError_NotACrash()
    {
        // Before: both ended in an unhandled exception (exit 134).
        var directory = folder.File("album.wav");
        Directory.CreateDirectory(directory);
        var onDirectory = Render(directory);
        Assert.Equal(2, onDirectory.ExitCode);
        Assert.Contains("is a directory", onDirectory.Output);

        // /sys refuses new files and folders even to root: a real unwritable directory on any Linux.
        foreach (var unwritable in new[] { "/sys/mamba-audio-test.wav", "/sys/mamba-audio-test/take.wav" })
        {
            var result = Render(unwritable);
            Assert.True(result.ExitCode == 2, $"{unwritable}: exit {result.ExitCode}\n{result.Output}");
            Assert.Contains("/sys/mamba-audio-test", result.Output);
            Assert.DoesNotContain("Unhandled exception", result.Output);
        }
    }

    [Fact]
    public void ForcedRenderOntoAFullDisk_FailsWithExit2_AndTheOldFileIsWhole()
    {
        // Before: the old file was truncated when the render started, so a full disk lost it.
        var disk = folder.File("disk");
        Directory.CreateDirectory(disk);
        var result = HostRun.Shell($$"""
            unshare -rm bash -c '
              mount -t tmpfs -o size=128k tmpfs "$0" || exit 90
              eval "$MAMBA_AUDIO render --checkpoint \"$1\" --out \"$0/take.wav\" --seconds 0.5 --threads 1" > "$2/first.log" 2>&1; echo "first=$?"
              cp "$0/take.wav" "$2/before.wav"; cp "$0/take.json" "$2/before.json"
              eval "$MAMBA_AUDIO render --checkpoint \"$1\" --out \"$0/take.wav\" --seconds 30 --threads 1 --force" > "$2/second.log" 2>&1; echo "second=$?"
              cp "$0/take.wav" "$2/after.wav"; cp "$0/take.json" "$2/after.json"; ls "$0" > "$2/listing"
            ' '{{disk}}' '{{checkpoint}}' '{{folder.Path}}'
            """);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.True(result.Output.Contains("first=0"), File.ReadAllText(folder.File("first.log")));
        var second = File.ReadAllText(folder.File("second.log"));
        Assert.True(result.Output.Contains("second=2"), second);
        Assert.Contains("take.partial.wav", second);
        Assert.Equal(File.ReadAllBytes(folder.File("before.wav")), File.ReadAllBytes(folder.File("after.wav")));
        Assert.Equal(File.ReadAllBytes(folder.File("before.json")), File.ReadAllBytes(folder.File("after.json")));
        Assert.Contains("take.partial.wav", File.ReadAllText(folder.File("listing")));
    }

    [Fact]
    public void TrainIntoAnUnwritablePlace_IsAnError_NotACrash()
    {
        var input = folder.File("in");
        for (int voice = 0; voice < 2; voice++) ToneFiles.Write(Path.Combine(input, $"v{voice}_a.wav"), 16000, 0.3);
        var corpus = folder.File("corpus");
        Assert.Equal(0, HostRun.Run("prepare", input, "--out", corpus, "--group-by", "^(v\\d)_", "--validation-fraction", "0.5").ExitCode);
        var result = HostRun.Run("train", "--corpus", corpus, "--out", "/sys/mamba-audio-run", "--preset", "tiny", "--steps", "1", "--device", "cpu");
        Assert.True(result.ExitCode == 2, result.Output);
        Assert.Contains("/sys/mamba-audio-run", result.Output);
        Assert.DoesNotContain("Unhandled exception", result.Output);
    }

    [Fact]
    public void Spectrogram_IsDrawnBesideTheTake_AndAnExistingOneIsNotReplacedWithoutForce()
    {
        string wav = folder.File("seen.wav"), png = folder.File("seen.spectrogram.png");
        var first = Render(wav, "--spectrogram");
        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(png)[..4]);
        File.Delete(wav);
        File.Delete(folder.File("seen.json"));
        var again = Render(wav, "--spectrogram");
        Assert.Equal(2, again.ExitCode);
        Assert.Contains($"{png} exists", again.Output);
    }

    [Fact]
    public void SecondsShorterThanOneSample_IsRefusedByName()
    {
        // Before: a table of NaN, then a JSON serializer error.
        var result = HostRun.Run("render", "--checkpoint", checkpoint, "--out", folder.File("short.wav"), "--seconds", "1e-6");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--seconds 1E-06: shorter than one sample", result.Output);
    }

    public void Dispose() => folder.Dispose();
}
