using System.Diagnostics;
using System.Text.Json.Nodes;
using Mamba.Audio.Corpora;
using Mamba.Training.Models;
using Mamba.Training.Scan;
using Mamba.Core.Checkpoints;
using Mamba.Training.Devices;
using Mamba.Training.Optimization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mamba.Training.Runs;

/// <summary>
/// Trains a next-sample model on a prepared corpus: random crops, cross-entropy, AdamW (no decay
/// on A_log, D, norms, biases), warm-up then cosine decay, gradient clipping, validation in bits
/// per sample, atomic checkpoints (last K and best), exact resume, metrics and a loss curve.
/// </summary>
public sealed class Trainer
{
    private static readonly double Ln2 = Math.Log(2);

    public static TrainingResult Run(TrainOptions options, Device device, ITrainingObserver observer, CancellationToken cancel)
    {
        Validate(options);
        using var corpus = AudioCorpus.Open(options.Corpus);
        var train = new CropSampler(corpus, CorpusSplit.Train, options.CropLength, options.Seed);
        var validation = new CropSampler(corpus, CorpusSplit.Validation, options.CropLength, options.Seed);
        double unigram = corpus.UnigramEntropyBits(CorpusSplit.Validation);

        Directory.CreateDirectory(options.Output);
        var checkpoints = new TrainingCheckpoints(options.Output, options.KeepLast, corpus.SampleRate);
        var (model, optimizer, state) = StartOrResume(options, corpus, checkpoints, device, observer);
        using var _model = model;
        // The scan changes speed, not the model: it is not part of what a resumed run must match.
        model.Mamba?.UseScan(SelectiveScans.Resolve(options.Scan, device));
        using var _optimizer = optimizer;
        long step = state?.Step ?? 0;
        double best = state?.BestValidationBits ?? double.PositiveInfinity;
        double lastValidation = state?.LastValidationBits ?? double.NaN;
        var previousElapsed = TimeSpan.FromSeconds(state?.ElapsedSeconds ?? 0);

        var metricsPath = Path.Combine(options.Output, "metrics.jsonl");
        using var metrics = new MetricsLog(metricsPath, step);
        var schedule = new WarmupCosineSchedule(options.LearningRate, options.WarmupSteps, options.Steps, options.MinLearningRateRatio);
        observer.Started(new TrainingStart(model.Description, model.Parameters, ComputeDevice.Describe(device), step, options.Steps,
            unigram, corpus.Samples(CorpusSplit.Train), corpus.Samples(CorpusSplit.Validation), state is not null, corpus.SampleRate));

        var batchBytes = new byte[options.Batch * (options.CropLength + 1)];
        var clock = Stopwatch.StartNew();
        long stepsThisRun = 0;
        double lastLoss = double.NaN;
        string lastCheckpoint = state is null ? "" : Path.Combine(checkpoints.Root, TrainingCheckpoints.StepName(step));
        bool interrupted = false;

        TrainingState Snapshot() => new(step, options.Seed, model.Architecture.ToString().ToLowerInvariant(),
            options.Model.DModel, options.Model.NLayer, corpus.ContentHash, best, lastValidation,
            (previousElapsed + clock.Elapsed).TotalSeconds, TrainOptionsRecord.From(options));

        void RunValidation()
        {
            lastValidation = Validate(model, validation, options, device, batchBytes);
            bool isBest = lastValidation < best;
            if (isBest) best = lastValidation;
            metrics.Write(new JsonObject { ["step"] = step, ["val_bits"] = lastValidation, ["best_val_bits"] = best });
            observer.Validated(new ValidationReport(step, lastValidation, best, isBest));
            if (isBest) checkpoints.SaveBest(model, optimizer, Snapshot());
        }

        model.Module.train();
        while (step < options.Steps)
        {
            if (cancel.IsCancellationRequested || (options.TimeBudget is { } budget && clock.Elapsed >= budget))
            {
                interrupted = cancel.IsCancellationRequested;
                break;
            }
            ulong fingerprint = train.Fill(step, options.Batch, batchBytes);
            double lr = schedule.RateAt(step);
            double lossBits;
            using (var scope = NewDisposeScope())
            {
                var tokens = Tokens(batchBytes, options.Batch, options.CropLength + 1, device);
                var logits = model.Forward(tokens[.., ..^1]);                                   // (b, l, 256)
                var loss = F.cross_entropy(logits.reshape(-1, logits.shape[^1]), tokens[.., 1..].reshape(-1));
                optimizer.zero_grad();
                loss.backward();
                nn.utils.clip_grad_norm_(model.Module.parameters(), options.ClipNorm);
                MambaOptimizer.SetLearningRate(optimizer, lr);
                optimizer.step();
                lossBits = loss.item<float>() / Ln2;
            }
            step++;
            stepsThisRun++;
            lastLoss = lossBits;

            if (step % options.ReportEvery == 0 || step == options.Steps)
            {
                double rate = stepsThisRun * (double)options.Batch * options.CropLength / clock.Elapsed.TotalSeconds;
                var remaining = TimeSpan.FromSeconds((options.Steps - step) * clock.Elapsed.TotalSeconds / stepsThisRun);
                metrics.Write(new JsonObject
                {
                    ["step"] = step, ["loss_bits"] = lossBits, ["lr"] = lr, ["samples_per_s"] = rate,
                    ["elapsed_s"] = (previousElapsed + clock.Elapsed).TotalSeconds, ["data"] = fingerprint.ToString("x16"),
                });
                observer.Stepped(new StepReport(step, options.Steps, lossBits, lr, rate, previousElapsed + clock.Elapsed, remaining, fingerprint));
            }

            if (step % options.EvalEvery == 0 || step == options.Steps) RunValidation();

            if (step % options.CheckpointEvery == 0 || step == options.Steps)
            {
                lastCheckpoint = checkpoints.Save(model, optimizer, Snapshot());
                observer.Checkpointed(step, lastCheckpoint);
                WritePlot(options, metricsPath, unigram, model.Description);
            }
        }

        // Stopped early (Ctrl-C or the time budget): keep what was learned since the last checkpoint.
        if (step < options.Steps && stepsThisRun > 0 && !lastCheckpoint.EndsWith(TrainingCheckpoints.StepName(step), StringComparison.Ordinal))
        {
            if (double.IsNaN(lastValidation) || step % options.EvalEvery != 0) RunValidation();
            lastCheckpoint = checkpoints.Save(model, optimizer, Snapshot());
            observer.Checkpointed(step, lastCheckpoint);
        }
        WritePlot(options, metricsPath, unigram, model.Description);

        double samplesPerSecond = stepsThisRun == 0 ? 0 : stepsThisRun * (double)options.Batch * options.CropLength / clock.Elapsed.TotalSeconds;
        return new TrainingResult(step, options.Steps, lastLoss, lastValidation, best, unigram, samplesPerSecond,
            previousElapsed + clock.Elapsed, interrupted, lastCheckpoint);
    }

    private static (AudioModel, OptimizerHelper, TrainingState?) StartOrResume(TrainOptions options, AudioCorpus corpus,
        TrainingCheckpoints checkpoints, Device device, ITrainingObserver observer)
    {
        if (options.Resume)
        {
            foreach (var directory in checkpoints.StepDirectories())
            {
                TrainingState state;
                AudioModel model;
                try
                {
                    state = TrainingCheckpoints.ReadState(directory);
                    model = AudioModel.Load(directory, device, out _);
                }
                catch (CheckpointException e)
                {
                    observer.Message($"skipping {directory}: {e.Message}");
                    continue;
                }
                try
                {
                    CheckResumable(options, corpus, state, model, directory);
                    var optimizer = MambaOptimizer.Create(model.Module, options.LearningRate, options.WeightDecay);
                    optimizer.load_state_dict(Path.Combine(directory, TrainingCheckpoints.OptimizerFileName));
                    observer.Message($"resuming from {directory} (step {state.Step})");
                    return (model, optimizer, state);
                }
                catch
                {
                    model.Dispose();
                    throw;
                }
            }
            if (checkpoints.StepDirectories().Count > 0)
                throw new CheckpointException($"{checkpoints.Root}: no checkpoint could be loaded to resume from (see the messages above).");
            observer.Message($"--resume: no checkpoint in {checkpoints.Root} yet, starting at step 0");
        }
        else if (checkpoints.StepDirectories().Count > 0)
        {
            throw new ArgumentException($"{checkpoints.Root} already holds checkpoints: pass --resume to continue that run, or choose another --out.");
        }
        manual_seed(options.Seed);
        var fresh = AudioModel.Create(options.Model, options.Seed, device);
        return (fresh, MambaOptimizer.Create(fresh.Module, options.LearningRate, options.WeightDecay), null);
    }

    private static void CheckResumable(TrainOptions options, AudioCorpus corpus, TrainingState state, AudioModel model, string directory)
    {
        if (state.CorpusHash != corpus.ContentHash)
            throw new ArgumentException($"{directory} was trained on a corpus with content hash {state.CorpusHash}, " +
                $"but {options.Corpus} has {corpus.ContentHash}: the data changed, so the run cannot continue exactly. Start a new run (another --out).");
        var wanted = TrainOptionsRecord.From(options);
        if (state.Options != wanted)
            throw new ArgumentException($"{directory} was trained with {state.Options}, this command asks for {wanted}: " +
                "resume with the same options (or start a new run).");
        if (state.Seed != options.Seed)
            throw new ArgumentException($"{directory} was trained with --seed {state.Seed}, this command asks for {options.Seed}.");
        if (model.Architecture != options.Model.Architecture || state.DModel != options.Model.DModel || state.NLayer != options.Model.NLayer)
            throw new ArgumentException($"{directory} holds a {model.Description}; this command asks for {options.Model}.");
    }

    private static double Validate(AudioModel model, CropSampler validation, TrainOptions options, Device device, byte[] batchBytes)
    {
        model.Module.eval();
        double nats = 0;
        using (no_grad())
        {
            for (int i = 0; i < options.EvalBatches; i++)
            {
                using var scope = NewDisposeScope();
                validation.Fill(i, options.Batch, batchBytes);
                var tokens = Tokens(batchBytes, options.Batch, options.CropLength + 1, device);
                var logits = model.Forward(tokens[.., ..^1]);
                nats += F.cross_entropy(logits.reshape(-1, logits.shape[^1]), tokens[.., 1..].reshape(-1)).item<float>();
            }
        }
        model.Module.train();
        return nats / options.EvalBatches / Ln2;
    }

    private static Tensor Tokens(byte[] bytes, int batch, int length, Device device) =>
        tensor(bytes, new long[] { batch, length }).to_type(ScalarType.Int64).to(device);

    private static void WritePlot(TrainOptions options, string metricsPath, double unigram, string title) =>
        LossCurvePlot.Write(Path.Combine(options.Output, "loss.png"), MetricsLog.Read(metricsPath), unigram, title);

    private static void Validate(TrainOptions o)
    {
        void Require(bool ok, string message) { if (!ok) throw new ArgumentException(message); }
        Require(o.CropLength is >= 8 and <= 1 << 22, $"--crop {o.CropLength}: must be in 8..4194304.");
        Require(o.Batch is >= 1 and <= 65536, $"--batch {o.Batch}: must be in 1..65536.");
        Require(o.Steps >= 1, $"--steps {o.Steps}: must be at least 1.");
        Require(o.LearningRate is > 0 and <= 1, $"--lr {o.LearningRate}: must be in (0, 1].");
        Require(o.WarmupSteps >= 0, $"--warmup {o.WarmupSteps}: must be at least 0.");
        Require(o.EvalEvery >= 1, $"--eval-every {o.EvalEvery}: must be at least 1.");
        Require(o.EvalBatches >= 1, $"--eval-batches {o.EvalBatches}: must be at least 1.");
        Require(o.CheckpointEvery >= 1, $"--checkpoint-every {o.CheckpointEvery}: must be at least 1.");
        Require(o.KeepLast >= 1, $"--keep {o.KeepLast}: must be at least 1.");
        Require(o.ClipNorm > 0, $"--clip {o.ClipNorm}: must be positive.");
    }
}
