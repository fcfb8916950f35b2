namespace Mamba.Training.Runs;

/// <summary>How a run ended.</summary>
public sealed record TrainingResult(long Step, long Steps, double LastLossBits, double LastValidationBits,
    double BestValidationBits, double UnigramEntropyBits, double SamplesPerSecond, TimeSpan Elapsed,
    bool Interrupted, string LastCheckpoint);
