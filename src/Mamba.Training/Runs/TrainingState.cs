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
    [property: JsonPropertyName("options")] TrainOptionsRecord Options);

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
