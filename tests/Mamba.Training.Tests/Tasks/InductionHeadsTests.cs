using Mamba.Training.Scan;
using Mamba.Training.Tasks;
using static TorchSharp.torch;

namespace Mamba.Training.Tests.Tasks;

/// <summary>
/// The induction-heads sequences are what the paper describes, and a short run really learns the
/// recall: near chance before training, solved at the training length after it.
/// </summary>
public class InductionHeadsTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(4, 2)]
    [InlineData(64, 16)]
    [InlineData(1000, 3)]
    public void Sample_HoldsTheTriggerTwice_AndTheAnswerFollowsTheFirst(int length, int vocabulary)
    {
        var task = new InductionHeadsTask(length, vocabulary).Validate();
        var (inputs, answers) = task.Sample(200, new Random(length));
        Assert.Equal(new long[] { 200, length }, inputs.shape);
        var x = inputs.data<long>().ToArray();
        var a = answers.data<long>().ToArray();
        var seenAnswers = new HashSet<long>();
        var seenFirst = new HashSet<int>();
        for (int b = 0; b < 200; b++)
        {
            var row = x.AsSpan(b * length, length).ToArray();
            Assert.Equal(task.TriggerToken, row[^1]);
            var triggers = Enumerable.Range(0, length).Where(i => row[i] == task.TriggerToken).ToArray();
            Assert.Equal(2, triggers.Length);
            int first = triggers[0];
            Assert.InRange(first, 0, length - 3);
            Assert.Equal(row[first + 1], a[b]);
            Assert.InRange(a[b], 0, vocabulary - 1);
            foreach (long t in row) Assert.InRange(t, 0, vocabulary);
            seenAnswers.Add(a[b]);
            seenFirst.Add(first);
        }
        Assert.Equal(vocabulary, seenAnswers.Count);                     // every symbol can be the answer
        Assert.True(seenFirst.Count >= Math.Min(length - 2, 50), $"first triggers at only {seenFirst.Count} positions");
    }

    [Theory]
    [InlineData(3, 16)]
    [InlineData(256, 1)]
    [InlineData(InductionHeadsTask.MaxLength + 1, 16)]
    public void Validate_NamesTheBadSetting(int length, int vocabulary)
    {
        var e = Assert.Throws<ArgumentException>(() => new InductionHeadsTask(length, vocabulary).Validate());
        Assert.Contains(length < 4 || length > InductionHeadsTask.MaxLength ? "length" : "vocabulary", e.Message);
    }

    [Fact]
    public void ShortRun_LearnsTheRecall_AndTestsEveryLength()
    {
        var settings = new InductionHeadsSettings(new InductionHeadsTask(32, 4), [16, 32, 64], DModel: 32, Steps: 900, Batch: 16,
            LearningRate: 3e-3, WarmupSteps: 20, TestSequences: 256, CheckEvery: 150, CheckSequences: 128, StopAtAccuracy: 1.0, ReportEvery: 150);
        var result = InductionHeadsBenchmark.Run(settings, CPU, new CpuSelectiveScan(),
            p => output.WriteLine($"step {p.Step} loss {p.Loss:F4} check {p.CheckAccuracy:P1} {p.Elapsed}"),
            cancel: TestContext.Current.CancellationToken);

        Assert.Equal(0, result.Checks[0].Step);
        Assert.InRange(result.Checks[0].Accuracy, 0, 0.6);                // chance is 25%: the untrained model does not solve it
        var trained = result.Tests.Single(t => t.Length == 32);
        Assert.True(trained.Accuracy >= 0.95, $"accuracy at the training length {trained.Accuracy:P1}");
        Assert.Equal([16, 32, 64], result.Tests.Select(t => t.Length));
        Assert.All(result.Tests, t => Assert.Equal(256, t.Sequences));
        Assert.True(result.Settings.Steps <= 900 && result.Checks.Count >= 1);
    }
}
