namespace Mamba.Training.Runs;

/// <summary>What a run is, told once at its start.</summary>
public sealed record TrainingStart(string Model, long Parameters, string Device, long FirstStep, long Steps,
    double UnigramEntropyBits, long TrainSamples, long ValidationSamples, bool Resumed, int SampleRate);

/// <summary>A progress report every few steps.</summary>
public sealed record StepReport(long Step, long Steps, double LossBits, double LearningRate, double SamplesPerSecond,
    TimeSpan Elapsed, TimeSpan? Remaining, ulong DataFingerprint);

/// <summary>A validation pass.</summary>
public sealed record ValidationReport(long Step, double BitsPerSample, double BestBitsPerSample, bool IsBest);

/// <summary>Receives a run's progress; the command line draws it, tests record it.</summary>
public interface ITrainingObserver
{
    void Started(TrainingStart start);
    void Stepped(StepReport report);
    void Validated(ValidationReport report);
    void Checkpointed(long step, string directory);
    void Message(string text);
}
