using System.Diagnostics;
using System.Text.Json.Nodes;
using Mamba.Audio.Corpora;
using Mamba.Training.Models;
using Mamba.Training.Scan;
using Mamba.Core.Checkpoints;
using Mamba.Training.Devices;
using Mamba.Training.Distributed;
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

    /// <summary>The most samples one step may hold: the batch is one byte array, and no machine trains on more at once.</summary>
    public const long MaxTokensPerStep = 1L << 28;

    /// <summary>The most steps a run may ask for (at a step a millisecond, 30 years).</summary>
    public const long MaxSteps = 1_000_000_000_000;

    /// <summary>The longest --minutes.</summary>
    public static readonly TimeSpan MaxTimeBudget = TimeSpan.FromDays(365);

    /// <param name="world">
    /// This process's place in a data-parallel run (<see cref="TrainingWorld"/>), or null for one
    /// process. Each rank trains on its share of every global batch and the gradients are averaged,
    /// so N ranks take the steps one process takes with the same --batch (to float32 reduction
    /// order). Rank 0 alone writes the run directory (checkpoints, metrics, validation, the plot);
    /// the others resume from the checkpoint rank 0 names, which is why --out must be a folder every
    /// rank can read.
    /// </param>
    public static TrainingResult Run(TrainOptions options, Device device, ITrainingObserver observer, CancellationToken cancel, TrainingWorld? world = null)
    {
        Validate(options);
        var (shareFirst, shareCount) = world?.Share(options.Batch) ?? (0, options.Batch);
        bool leader = world is null || world.IsLeader;
        var memory = TrainingMemory.Estimate(options.Model, shareCount, options.CropLength);
        memory.Check(device);
        using var corpus = AudioCorpus.Open(options.Corpus);
        var train = new CropSampler(corpus, CorpusSplit.Train, options.CropLength, options.Seed);
        var validation = new CropSampler(corpus, CorpusSplit.Validation, options.CropLength, options.Seed);
        double unigram = corpus.UnigramEntropyBits(CorpusSplit.Validation);

        TrainingCheckpoints? checkpoints = null;
        AudioModel model;
        OptimizerHelper optimizer;
        TrainingState? state;
        DataParallel? parallel = null;
        if (leader)
        {
            if (RunDirectory.Claim(options.Output, options.Resume) is { } note) observer.Message(note);
            checkpoints = new TrainingCheckpoints(options.Output, options.KeepLast, corpus.SampleRate);
            (model, optimizer, state) = StartOrResume(options, corpus, checkpoints, device, observer);
            if (world is not null)   // one rank too when asked: the NCCL path with a world of one is how one GPU tests it
                parallel = DistributedStart.Lead(world, RunKey(options, corpus), state?.Step ?? -1, observer);
        }
        else
        {
            (parallel, long resumeStep) = DistributedStart.Join(world!, RunKey(options, corpus), observer);
            try
            {
                (model, optimizer, state) = resumeStep < 0 ? Fresh(options, device)
                    : LoadCheckpoint(Path.Combine(Path.GetFullPath(options.Output), "checkpoints", TrainingCheckpoints.StepName(resumeStep)), options, corpus, device);
            }
            catch (CheckpointException e)
            {
                parallel.Dispose();
                throw new DistributedException($"rank {world!.Rank}: cannot load the checkpoint rank 0 resumes from: {e.Message} (--out must be a folder every rank can read).", e);
            }
        }
        parallel?.Attach(model);
        using var _parallel = parallel;
        using var _model = model;
        // Every rank starts from rank 0's parameters (a fresh run seeds them alike; this makes it so whatever happened).
        parallel?.BroadcastParameters();
        // The scan changes speed, not the model: it is not part of what a resumed run must match.
        model.Mamba?.UseScan(SelectiveScans.Resolve(options.Scan, device));
        MatmulPrecision.Apply(options.Matmul, device);
        using var _optimizer = optimizer;
        long step = state?.Step ?? 0;
        double best = state?.BestValidationBits ?? double.PositiveInfinity;
        double lastValidation = state?.LastValidationBits ?? double.NaN;
        var previousElapsed = TimeSpan.FromSeconds(state?.ElapsedSeconds ?? 0);

        var metricsPath = Path.Combine(options.Output, "metrics.jsonl");
        using var metrics = leader ? new MetricsLog(metricsPath, step) : null;
        var schedule = Schedule(options, state);
        if (leader && state is not null && state.Options.Steps != options.Steps)
            observer.Message($"extending the run from {state.Options.Steps} to {options.Steps} steps: the learning rate goes on from {schedule.RateAt(step):G4} in a cosine ending at step {options.Steps}");
        string deviceText = ComputeDevice.Describe(device) + (parallel is null ? "" : $" x {parallel.Description}")
            + (device.type == DeviceType.CUDA ? $", {options.Matmul} matrix products" : "");
        if (leader)
            observer.Started(new TrainingStart(model.Description, model.Parameters, deviceText, step, options.Steps,
                unigram, corpus.Samples(CorpusSplit.Train), corpus.Samples(CorpusSplit.Validation), state is not null, corpus.SampleRate));

        var batchBytes = new byte[shareCount * (options.CropLength + 1)];
        var validationBytes = parallel is null ? batchBytes : new byte[options.Batch * (options.CropLength + 1)];
        bool stopAgreed = false;
        var clock = Stopwatch.StartNew();
        long stepsThisRun = 0;
        double lastLoss = double.NaN;
        string lastCheckpoint = state is null || checkpoints is null ? "" : Path.Combine(checkpoints.Root, TrainingCheckpoints.StepName(step));
        bool interrupted = false;

        TrainingState Snapshot() => new(step, options.Seed, model.Architecture.ToString().ToLowerInvariant(),
            options.Model.DModel, options.Model.NLayer, corpus.ContentHash, best, lastValidation,
            (previousElapsed + clock.Elapsed).TotalSeconds, TrainOptionsRecord.From(options),
            ScheduleExtendedAt: schedule.ExtendedAt, ScheduleExtendedRate: schedule.ExtendedRate);

        // Rank 0 alone: validation decides only what rank 0 writes.
        void RunValidation()
        {
            if (!leader) return;
            lastValidation = Validate(model, validation, options, device, validationBytes);
            bool isBest = lastValidation < best;
            if (isBest) best = lastValidation;
            metrics!.Write(new JsonObject { ["step"] = step, ["val_bits"] = lastValidation, ["best_val_bits"] = best });
            observer.Validated(new ValidationReport(step, lastValidation, best, isBest));
            if (isBest) checkpoints!.SaveBest(model, optimizer, Snapshot());
        }

        model.Module.train();
        while (step < options.Steps)
        {
            bool budgetSpent = options.TimeBudget is { } budget && clock.Elapsed >= budget;
            bool wantStop = cancel.IsCancellationRequested || budgetSpent;
            // Data parallel: every rank stops after the same step, the one after which any rank asked.
            if (parallel is null ? wantStop : stopAgreed)
            {
                interrupted = parallel is null ? cancel.IsCancellationRequested : !budgetSpent;
                break;
            }
            train.Fill(step, shareFirst, shareCount, batchBytes);
            double lr = schedule.RateAt(step);
            double lossBits;
            using (var scope = NewDisposeScope())
            {
                var tokens = Tokens(batchBytes, shareCount, options.CropLength + 1, device);
                var logits = model.Forward(tokens[.., ..^1]);                                   // (b, l, 256)
                var loss = F.cross_entropy(logits.reshape(-1, logits.shape[^1]), tokens[.., 1..].reshape(-1));
                optimizer.zero_grad();
                loss.backward();
                parallel?.AverageGradients();
                nn.utils.clip_grad_norm_(model.Module.parameters(), options.ClipNorm);
                MambaOptimizer.SetLearningRate(optimizer, lr);
                optimizer.step();
                double lossNats = loss.item<float>();
                if (parallel is not null) (lossNats, stopAgreed) = parallel.Agree(lossNats, wantStop, device);
                lossBits = lossNats / Ln2;
            }
            step++;
            stepsThisRun++;
            lastLoss = lossBits;

            if (leader && (step % options.ReportEvery == 0 || step == options.Steps))
            {
                ulong fingerprint = train.Fingerprint(step - 1, options.Batch);   // the batch just trained on, whichever ranks read it
                double rate = stepsThisRun * (double)options.Batch * options.CropLength / clock.Elapsed.TotalSeconds;
                var remaining = Eta(options.Steps - step, clock.Elapsed.TotalSeconds / stepsThisRun);
                metrics!.Write(new JsonObject
                {
                    ["step"] = step, ["loss_bits"] = lossBits, ["lr"] = lr, ["samples_per_s"] = rate,
                    ["elapsed_s"] = (previousElapsed + clock.Elapsed).TotalSeconds, ["data"] = fingerprint.ToString("x16"),
                });
                observer.Stepped(new StepReport(step, options.Steps, lossBits, lr, rate, previousElapsed + clock.Elapsed, remaining, fingerprint));
            }

            if (step % options.EvalEvery == 0 || step == options.Steps) RunValidation();

            if (leader && (step % options.CheckpointEvery == 0 || step == options.Steps))
            {
                lastCheckpoint = checkpoints!.Save(model, optimizer, Snapshot());
                observer.Checkpointed(step, lastCheckpoint);
                WritePlot(options, metricsPath, unigram, model.Description);
            }
        }

        // Stopped early (Ctrl-C or the time budget): keep what was learned since the last checkpoint.
        if (leader && step < options.Steps && stepsThisRun > 0 && !lastCheckpoint.EndsWith(TrainingCheckpoints.StepName(step), StringComparison.Ordinal))
        {
            if (double.IsNaN(lastValidation) || step % options.EvalEvery != 0) RunValidation();
            lastCheckpoint = checkpoints!.Save(model, optimizer, Snapshot());
            observer.Checkpointed(step, lastCheckpoint);
        }
        if (leader) WritePlot(options, metricsPath, unigram, model.Description);

        double samplesPerSecond = stepsThisRun == 0 ? 0 : stepsThisRun * (double)options.Batch * options.CropLength / clock.Elapsed.TotalSeconds;
        return new TrainingResult(step, options.Steps, lastLoss, lastValidation, best, unigram, samplesPerSecond,
            previousElapsed + clock.Elapsed, interrupted, lastCheckpoint);
    }

    private static (AudioModel, OptimizerHelper, TrainingState?) StartOrResume(TrainOptions options, AudioCorpus corpus,
        TrainingCheckpoints checkpoints, Device device, ITrainingObserver observer)
    {
        if (options.Resume)
        {
            // Newest first; a checkpoint damaged in any part (state, model, optimiser) is skipped with
            // the reason, and the next older one is tried. A sound checkpoint of another run or of
            // other options is not damage: that is an error, whatever older checkpoints there are.
            foreach (var directory in checkpoints.StepDirectories())
            {
                try
                {
                    var resumed = LoadCheckpoint(directory, options, corpus, device);
                    observer.Message($"resuming from {directory} (step {resumed.Item3!.Step})");
                    return resumed;
                }
                catch (CheckpointException e)
                {
                    observer.Message($"skipping {directory}: {e.Message}");
                }
            }
            if (checkpoints.StepDirectories().Count > 0)
                throw new CheckpointException($"{checkpoints.Root}: no checkpoint could be loaded to resume from (see the messages above).");
            observer.Message($"--resume: no checkpoint in {checkpoints.Root} yet, starting at step 0");
        }
        return Fresh(options, device);
    }

    private static (AudioModel, OptimizerHelper, TrainingState?) Fresh(TrainOptions options, Device device)
    {
        manual_seed(options.Seed);
        var fresh = AudioModel.Create(options.Model, options.Seed, device);
        return (fresh, MambaOptimizer.Create(fresh.Module, options.LearningRate, options.WeightDecay), null);
    }

    /// <summary>One step checkpoint, whole (state, model, optimiser) and of this run; damage is a <see cref="CheckpointException"/>.</summary>
    private static (AudioModel, OptimizerHelper, TrainingState?) LoadCheckpoint(string directory, TrainOptions options, AudioCorpus corpus, Device device)
    {
        AudioModel? model = null;
        try
        {
            var state = TrainingCheckpoints.ReadState(directory);
            if (Path.GetFileName(directory) != TrainingCheckpoints.StepName(state.Step))
                throw new CheckpointException($"{directory}: its {TrainingCheckpoints.StateFileName} says step {state.Step}.");
            TrainingCheckpoints.VerifyOptimizer(directory, state);
            model = AudioModel.Load(directory, device, out _);
            CheckResumable(options, corpus, state, model, directory);
            var optimizer = MambaOptimizer.Create(model.Module, options.LearningRate, options.WeightDecay);
            try
            {
                optimizer.load_state_dict(Path.Combine(directory, TrainingCheckpoints.OptimizerFileName));
            }
            catch (Exception e) when (e is not ArgumentException)
            {
                optimizer.Dispose();
                throw new CheckpointException($"{Path.Combine(directory, TrainingCheckpoints.OptimizerFileName)}: cannot be loaded: {e.Message}", e);
            }
            return (model, optimizer, state);
        }
        catch
        {
            model?.Dispose();
            throw;
        }
    }

    /// <summary>What every rank of a data-parallel run must agree on: the options that shape the arithmetic, the model and the corpus.</summary>
    private static string RunKey(TrainOptions o, AudioCorpus corpus) =>
        $"{TrainOptionsRecord.From(o)} {o.Model} seed {o.Seed} resume {o.Resume} corpus {corpus.ContentHash}";

    private static void CheckResumable(TrainOptions options, AudioCorpus corpus, TrainingState state, AudioModel model, string directory)
    {
        if (state.CorpusHash != corpus.ContentHash)
            throw new ArgumentException($"{directory} was trained on a corpus with content hash {state.CorpusHash}, " +
                $"but {options.Corpus} has {corpus.ContentHash}: the data changed, so the run cannot continue exactly. Start a new run (another --out).");
        var wanted = TrainOptionsRecord.From(options);
        if (state.Options with { Steps = wanted.Steps } != wanted)
            throw new ArgumentException($"{directory} was trained with {state.Options}, this command asks for {wanted}: " +
                "resume with the same options (only --steps may grow, to extend the run), or start a new run.");
        if (wanted.Steps < state.Options.Steps)
            throw new ArgumentException($"--steps {wanted.Steps}: the run in {options.Output} was set to {state.Options.Steps} steps; a run can be extended (a larger --steps), not shortened. " +
                $"To stop it early, use the checkpoint of the step you want (checkpoints/{TrainingCheckpoints.StepName(state.Step)} is the newest).");
        if (state.Seed != options.Seed)
            throw new ArgumentException($"{directory} was trained with --seed {state.Seed}, this command asks for {options.Seed}.");
        if (model.Architecture != options.Model.Architecture || state.DModel != options.Model.DModel || state.NLayer != options.Model.NLayer)
            throw new ArgumentException($"{directory} holds a {model.Description}; this command asks for {options.Model}.");
    }

    /// <summary>The learning-rate schedule: the run's own, extended where an earlier resume (saved in the state) or this one lengthened it.</summary>
    private static WarmupCosineSchedule Schedule(TrainOptions options, TrainingState? state)
    {
        var schedule = new WarmupCosineSchedule(options.LearningRate, options.WarmupSteps, state?.Options.Steps ?? options.Steps, options.MinLearningRateRatio,
            state?.ScheduleExtendedAt, state?.ScheduleExtendedRate);
        return state is not null && options.Steps > state.Options.Steps ? schedule.ExtendTo(options.Steps, state.Step) : schedule;
    }

    /// <summary>Time left for <paramref name="steps"/> at <paramref name="secondsPerStep"/>, saturated (a run of 10^12 steps overflowed TimeSpan).</summary>
    public static TimeSpan Eta(long steps, double secondsPerStep)
    {
        double seconds = steps * secondsPerStep;
        return double.IsFinite(seconds) && seconds < TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.FromSeconds(seconds) : TimeSpan.MaxValue;
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
        Require((long)o.Batch * (o.CropLength + 1) <= MaxTokensPerStep,
            $"--batch {o.Batch} x --crop {o.CropLength}: {(long)o.Batch * (o.CropLength + 1):N0} samples per step; at most {MaxTokensPerStep:N0}.");
        Require(o.Steps is >= 1 and <= MaxSteps, $"--steps {o.Steps}: must be in 1..{MaxSteps:N0}.");
        Require(o.LearningRate is > 0 and <= 1, $"--lr {o.LearningRate}: must be in (0, 1].");
        Require(o.WarmupSteps is >= 0 and <= MaxSteps, $"--warmup {o.WarmupSteps}: must be in 0..{MaxSteps:N0}.");
        Require(o.WeightDecay is >= 0 and <= 10, $"--weight-decay {o.WeightDecay}: must be in [0, 10].");
        Require(o.MinLearningRateRatio is >= 0 and <= 1, $"min learning-rate ratio {o.MinLearningRateRatio}: must be in [0, 1].");
        Require(o.TimeBudget is null || (o.TimeBudget > TimeSpan.Zero && o.TimeBudget <= MaxTimeBudget),
            $"--minutes {o.TimeBudget?.TotalMinutes}: must be in (0, {MaxTimeBudget.TotalMinutes:N0}] (a year).");
        Require(o.EvalEvery >= 1, $"--eval-every {o.EvalEvery}: must be at least 1.");
        Require(o.EvalBatches >= 1, $"--eval-batches {o.EvalBatches}: must be at least 1.");
        Require(o.CheckpointEvery >= 1, $"--checkpoint-every {o.CheckpointEvery}: must be at least 1.");
        Require(o.KeepLast >= 1, $"--keep {o.KeepLast}: must be at least 1.");
        Require(o.ClipNorm is > 0 and <= 1e6, $"--clip {o.ClipNorm}: must be in (0, 1000000].");
    }
}
