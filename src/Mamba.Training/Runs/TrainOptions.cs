using Mamba.Training.Models;

namespace Mamba.Training.Runs;

/// <summary>Everything a training run needs; defaults suit the small preset on a CPU.</summary>
/// <param name="Corpus">Directory made by <c>mamba-audio prepare</c>.</param>
/// <param name="Output">Run directory: checkpoints/, best/, metrics.jsonl, loss.png.</param>
/// <param name="CropLength">Samples per training crop (the context the model learns over).</param>
/// <param name="Steps">Total optimiser updates; the cosine schedule ends here.</param>
/// <param name="TimeBudget">Stop early (with a checkpoint) once this much wall time has passed.</param>
/// <param name="Matmul">Float32 matrix products on CUDA: "fp32" (exact float32) or "tf32" (the tensor cores' 10-bit-mantissa inputs, float32 sums; <see cref="MatmulPrecision"/>).</param>
/// <param name="Scan">Mamba's selective scan (<see cref="Mamba.Training.Scan.SelectiveScans.Names"/>); "auto" picks the fastest for the device.</param>
public sealed record TrainOptions(
    string Corpus,
    string Output,
    AudioModelSpec Model,
    int CropLength = 2048,
    int Batch = 8,
    long Steps = 2000,
    double LearningRate = 2e-3,
    long WarmupSteps = 100,
    double MinLearningRateRatio = 0.1,
    double WeightDecay = 0.1,
    double ClipNorm = 1.0,
    int EvalEvery = 100,
    int EvalBatches = 8,
    int CheckpointEvery = 200,
    int KeepLast = 3,
    int ReportEvery = 10,
    long Seed = 1,
    bool Resume = false,
    TimeSpan? TimeBudget = null,
    string Scan = "auto",
    string Matmul = "fp32");
