using Mamba.Training.Runs;

namespace Mamba.Training.Tests.Support;

/// <summary>Records a run's reports and messages, and can stop it at a given step, as Ctrl-C would.</summary>
public sealed class TrainingRecorder(long stopAt = long.MaxValue) : ITrainingObserver
{
    public readonly CancellationTokenSource Stop = new();
    public readonly List<StepReport> Steps = new();
    public readonly List<ValidationReport> Validations = new();
    public readonly List<string> Messages = new();
    public void Started(TrainingStart start) { }
    public void Stepped(StepReport report)
    {
        Steps.Add(report);
        if (report.Step >= stopAt) Stop.Cancel();
    }
    public void Validated(ValidationReport report) => Validations.Add(report);
    public void Checkpointed(long step, string directory) { }
    public void Message(string text) => Messages.Add(text);
}
