using Mamba.Training.Model;
using System.Diagnostics;
using Mamba.Core.Model;
using Mamba.Training.Scan;
using Mamba.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mamba.Training.Tasks;

/// <summary>Settings of a selective-copy training run.</summary>
/// <param name="Task">Sequence length, tokens to copy, vocabulary.</param>
/// <param name="DModel">Model width; the paper uses 2 layers.</param>
/// <param name="CheckEvery">Steps between token-accuracy checks on fresh sequences (accuracy against training time); 0: none.</param>
/// <param name="StopAtAccuracy">Stop training once a check reaches this token accuracy (null: run every step).</param>
public sealed record SelectiveCopySettings(
    SelectiveCopyTask Task,
    int DModel = 64,
    int NLayer = 2,
    int Steps = 2000,
    int Batch = 32,
    double LearningRate = 2e-3,
    int WarmupSteps = 100,
    double WeightDecay = 0.1,
    double ClipNorm = 1.0,
    int EvalSequences = 1024,
    int ReportEvery = 25,
    long Seed = 1,
    int CheckEvery = 0,
    int CheckSequences = 256,
    double? StopAtAccuracy = null);

/// <summary>One progress report during training.</summary>
/// <remarks>A report with <see cref="IsCheck"/> carries a check's token accuracy on fresh sequences in <see cref="TrainAccuracy"/>.</remarks>
public sealed record SelectiveCopyProgress(int Step, int Steps, double Loss, double TrainAccuracy, double SequencesPerSecond, TimeSpan Elapsed)
{
    public bool IsCheck { get; init; }
}

/// <summary>The outcome: accuracy on fresh sequences, per token and per whole sequence.</summary>
public sealed record SelectiveCopyResult(
    SelectiveCopySettings Settings, string Device, string Scan, long Parameters,
    double TokenAccuracy, double SequenceAccuracy, double FinalLoss, TimeSpan TrainTime, double SequencesPerSecond,
    IReadOnlyList<SelectiveCopyCheck> Checks);

/// <summary>Token accuracy on fresh sequences after <see cref="Step"/> steps and <see cref="Seconds"/> of training (checks excluded).</summary>
public sealed record SelectiveCopyCheck(int Step, double Seconds, double TokenAccuracy);

/// <summary>
/// Trains a small Mamba on <see cref="SelectiveCopyTask"/> and measures copy accuracy on fresh
/// sequences: a check of the whole block, since broken selection stays near chance (1/V).
/// </summary>
public static class SelectiveCopyBenchmark
{
    public static SelectiveCopyResult Run(SelectiveCopySettings settings, Device device, ISelectiveScan scan,
        Action<SelectiveCopyProgress>? progress = null, CancellationToken cancel = default)
    {
        var task = settings.Task.Validate();
        manual_seed(settings.Seed);
        var random = new Random((int)settings.Seed);
        var config = new MambaConfig(settings.DModel, settings.NLayer, VocabSize: task.Classes).Validate();
        using var model = new MambaLM(config, settings.Seed);
        model.to(device);
        model.UseScan(scan);
        using var optimizer = MambaOptimizer.Create(model, settings.LearningRate, settings.WeightDecay);
        var schedule = new WarmupCosineSchedule(settings.LearningRate, settings.WarmupSteps, settings.Steps);

        var checks = new List<SelectiveCopyCheck>();
        var checkRandom = new Random((int)settings.Seed + 2);
        var clock = new Stopwatch();
        clock.Start();
        double loss = double.NaN;
        double correct = 0, seen = 0;
        int step = 0;
        model.train();
        for (; step < settings.Steps && !cancel.IsCancellationRequested; step++)
        {
            using var scope = NewDisposeScope();
            var (inputs, targets) = task.Sample(settings.Batch, random);
            inputs = inputs.to(device);
            targets = targets.to(device);
            var logits = model.forward(inputs)[.., task.Length..];                 // (b, tokens, v)
            var lossT = F.cross_entropy(logits.reshape(-1, task.Classes), targets.reshape(-1));
            optimizer.zero_grad();
            lossT.backward();
            nn.utils.clip_grad_norm_(model.parameters(), settings.ClipNorm);
            MambaOptimizer.SetLearningRate(optimizer, schedule.RateAt(step));
            optimizer.step();

            if ((step + 1) % settings.ReportEvery == 0 || step + 1 == settings.Steps)
            {
                loss = lossT.item<float>();
                correct = logits.argmax(-1).eq(targets).sum().item<long>();
                seen = targets.numel();
                progress?.Invoke(new SelectiveCopyProgress(step + 1, settings.Steps, loss, correct / seen,
                    (step + 1) * settings.Batch / clock.Elapsed.TotalSeconds, clock.Elapsed));
            }
            if (settings.CheckEvery > 0 && (step + 1) % settings.CheckEvery == 0)
            {
                clock.Stop();                                                    // the curve is against training time alone
                var (token, _) = Evaluate(model, task, settings.CheckSequences, settings.Batch, device, checkRandom);
                checks.Add(new SelectiveCopyCheck(step + 1, clock.Elapsed.TotalSeconds, token));
                progress?.Invoke(new SelectiveCopyProgress(step + 1, settings.Steps, loss, token, (step + 1) * settings.Batch / clock.Elapsed.TotalSeconds, clock.Elapsed) { IsCheck = true });
                clock.Start();
                if (token >= settings.StopAtAccuracy) { step++; break; }
            }
        }
        var trainTime = clock.Elapsed;
        var (tokenAcc, seqAcc) = Evaluate(model, task, settings.EvalSequences, settings.Batch, device, new Random((int)settings.Seed + 1));
        return new SelectiveCopyResult(settings with { Steps = step }, device.ToString(), scan.Name, config.ParameterCount,
            tokenAcc, seqAcc, loss, trainTime, step * settings.Batch / trainTime.TotalSeconds, checks);
    }

    /// <summary>Token and whole-sequence accuracy on fresh sequences (argmax at each marker); the model's mode is left as it was found.</summary>
    public static (double Token, double Sequence) Evaluate(MambaLM model, SelectiveCopyTask task, int sequences, int batch, Device device, Random random)
    {
        bool training = model.training;
        model.eval();
        using var _ = no_grad();
        long tokensRight = 0, sequencesRight = 0, total = 0;
        for (int done = 0; done < sequences; done += batch)
        {
            using var scope = NewDisposeScope();
            int b = Math.Min(batch, sequences - done);
            var (inputs, targets) = task.Sample(b, random);
            var predicted = model.forward(inputs.to(device))[.., task.Length..].argmax(-1).cpu();
            var hits = predicted.eq(targets);
            tokensRight += hits.sum().item<long>();
            sequencesRight += hits.all(1).sum().item<long>();
            total += b;
        }
        if (training) model.train();
        return ((double)tokensRight / (total * task.Tokens), (double)sequencesRight / total);
    }
}
