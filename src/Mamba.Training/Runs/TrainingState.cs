using System.Text.Json.Serialization;

namespace Mamba.Training.Runs;

/// <summary>
/// training.json inside each checkpoint: where the run stood. With the model and optimiser files
/// beside it, this is everything a resume needs (the data order is a function of seed and step).
/// </summary>
public sealed record TrainingState(
    [property: JsonPropertyName("step")] long Step,
    [property: JsonPropertyName("seed")] long Seed,
    [property: JsonPropertyName("architecture")] string Architecture,
    [property: JsonPropertyName("d_model")] int DModel,
    [property: JsonPropertyName("n_layer")] int NLayer,
    [property: JsonPropertyName("corpus_hash")] string CorpusHash,
    [property: JsonPropertyName("best_validation_bits")] double BestValidationBits,
    [property: JsonPropertyName("last_validation_bits")] double LastValidationBits,
    [property: JsonPropertyName("elapsed_seconds")] double ElapsedSeconds,
    [property: JsonPropertyName("options")] TrainOptionsRecord Options,
    [property: JsonPropertyName("optimizer_sha256")] string? OptimizerSha256 = null,
    [property: JsonPropertyName("schedule_extended_at")] long? ScheduleExtendedAt = null,
    [property: JsonPropertyName("schedule_extended_rate")] double? ScheduleExtendedRate = null)
{
    /// <summary>What is missing or impossible in a state read from disk (a torn or hand-edited training.json), or null.</summary>
    public string? Problem()
    {
        if (Step < 0) return $"step {Step} is negative";
        if (string.IsNullOrEmpty(Architecture)) return "no architecture";
        if (DModel <= 0 || NLayer <= 0) return $"no model size (d_model {DModel}, n_layer {NLayer})";
        if (string.IsNullOrEmpty(CorpusHash)) return "no corpus hash";
        if (Options is null) return "no options";
        if (ScheduleExtendedAt is not null != ScheduleExtendedRate is not null) return "half a schedule extension";
        return null;
    }
}

/// <summary>The options that shape the run's arithmetic, saved so a resume can refuse a silent change.</summary>
public sealed record TrainOptionsRecord(
    [property: JsonPropertyName("crop")] int CropLength,
    [property: JsonPropertyName("batch")] int Batch,
    [property: JsonPropertyName("steps")] long Steps,
    [property: JsonPropertyName("lr")] double LearningRate,
    [property: JsonPropertyName("warmup")] long WarmupSteps,
    [property: JsonPropertyName("min_lr_ratio")] double MinLearningRateRatio,
    [property: JsonPropertyName("weight_decay")] double WeightDecay,
    [property: JsonPropertyName("clip")] double ClipNorm)
{
    public static TrainOptionsRecord From(TrainOptions o) =>
        new(o.CropLength, o.Batch, o.Steps, o.LearningRate, o.WarmupSteps, o.MinLearningRateRatio, o.WeightDecay, o.ClipNorm);
}
