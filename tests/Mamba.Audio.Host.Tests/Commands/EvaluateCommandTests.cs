using System.Globalization;
using System.Text.Json.Nodes;
using Mamba.Audio.Host.Tests.Support;

namespace Mamba.Audio.Host.Tests.Commands;

/// <summary>
/// `evaluate` scores a checkpoint on the CPU engine by teacher forcing and gives the validation figure
/// `train` reported for it with torch's parallel form (the same crops, from zeroed states); a corpus at
/// another rate, the Transformer baseline and crops longer than every held-out file are refused by name.
/// </summary>
public class EvaluateCommandTests : IDisposable
{
    private readonly TempFolder folder = new();
    private readonly string corpus;

    public EvaluateCommandTests()
    {
        corpus = SampleCorpus.PrepareDigits(folder.File("corpus"));
    }

    public void Dispose() => folder.Dispose();

    private string Train(string arch, int seed)
    {
        string run = folder.File($"run-{arch}");
        var trained = HostRun.Run(["train", "--corpus", corpus, "--out", run, "--preset", "tiny", "--arch", arch, "--crop", "300", "--batch", "3",
            "--steps", "4", "--eval-every", "4", "--eval-batches", "2", "--seed", $"{seed}", "--warmup", "1", "--device", "cpu"], timeoutSeconds: 300);
        Assert.True(trained.ExitCode == 0, trained.Output);
        return run;
    }

    [Fact]
    public void ARunsBestCheckpoint_ScoresTheValidationFigureTrainReported()
    {
        int seed = TestSeed.Fresh() % 100_000;
        string run = Train("mamba", seed);
        double reported = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "best", "training.json")))!["best_validation_bits"]!.GetValue<double>();
        string json = folder.File("score.json");
        var scored = HostRun.Run("evaluate", "--checkpoint", run, "--corpus", corpus, "--crop", "300", "--batch", "3", "--batches", "2",
            "--seed", $"{seed}", "--json", json);
        Assert.True(scored.ExitCode == 0, scored.Output);
        var result = JsonNode.Parse(File.ReadAllText(json))!;
        double bits = result["BitsPerSample"]!.GetValue<double>();
        // torch's float32 parallel form against the CPU engine's float32 recurrence: rounding only
        Assert.True(Math.Abs(bits - reported) < 1e-3, $"seed {seed}: evaluate {bits}, train reported {reported}");
        Assert.Equal(2L * 3 * 300, result["Samples"]!.GetValue<long>());
        Assert.Contains(bits.ToString("F4", CultureInfo.InvariantCulture), scored.Output);
        // other crops score other bits: the seed and crop are what make the figures comparable
        var other = HostRun.Run("evaluate", "--checkpoint", run, "--corpus", corpus, "--crop", "300", "--batch", "3", "--batches", "2",
            "--seed", $"{seed + 1}", "--json", json);
        Assert.True(other.ExitCode == 0, other.Output);
        Assert.NotEqual(bits, JsonNode.Parse(File.ReadAllText(json))!["BitsPerSample"]!.GetValue<double>());
    }

    [Fact]
    public void ACorpusAtAnotherRate_IsRefused_NamingBothRates()
    {
        string eight = SampleCorpus.PrepareDigits(folder.File("corpus-8k"), "--rate", "8000");
        var result = HostRun.Run("evaluate", "--checkpoint", TestRepository.File("samples", "models", "digits-small"), "--corpus", eight);
        Assert.True(result.ExitCode == 2, result.Output);
        Assert.Contains("is at 8000 Hz", result.Output);
        Assert.Contains("trained at 16000 Hz: prepare the corpus at --rate 16000", result.Output);
    }

    [Fact]
    public void TheTransformerBaseline_AndCropsLongerThanEveryFile_AreRefused()
    {
        string run = Train("transformer", 1);
        var transformer = HostRun.Run("evaluate", "--checkpoint", run, "--corpus", corpus);
        Assert.True(transformer.ExitCode == 2, transformer.Output);
        Assert.Contains("holds the Transformer baseline; evaluate scores with a Mamba checkpoint", transformer.Output);

        var tooLong = HostRun.Run("evaluate", "--checkpoint", TestRepository.File("samples", "models", "digits-small"), "--corpus", corpus, "--crop", "20000");
        Assert.True(tooLong.ExitCode == 2, tooLong.Output);
        Assert.Contains("has no file of at least 20001 samples", tooLong.Output);
        Assert.DoesNotContain("   at ", tooLong.Output);
    }
}
