using System.Diagnostics;
using Mamba.Core.Model;
using Mamba.Training.Model;
using Mamba.Training.Optimization;
using Mamba.Training.Scan;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mamba.Training.Tasks;

/// <summary>Settings of an induction-heads run: train at <see cref="InductionHeadsTask.Length"/>, test at <see cref="TestLengths"/>.</summary>
/// <param name="Task">Training length and vocabulary (the paper: 256 and 16).</param>
/// <param name="TestLengths">Sequence lengths tested after training, each on <see cref="TestSequences"/> fresh sequences.</param>
/// <param name="TestTokensPerForward">Bounds one test forward's batch x length, so long tests fit in memory.</param>
/// <param name="CheckEvery">Steps between accuracy checks at the training length (accuracy against training time).</param>
/// <param name="StopAtAccuracy">Stop training once a check reaches this accuracy (null: run every step).</param>
public sealed record InductionHeadsSettings(
    InductionHeadsTask Task,
    IReadOnlyList<int> TestLengths,
    int DModel = 64,
    int NLayer = 2,
    int Steps = 4000,
    int Batch = 8,
    double LearningRate = 1e-3,
    int WarmupSteps = 50,
    double WeightDecay = 0.0,
    double ClipNorm = 1.0,
    int TestSequences = 256,
    long TestTokensPerForward = 1 << 18,
    int CheckEvery = 250,
    int CheckSequences = 256,
    double? StopAtAccuracy = null,
    int ReportEvery = 50,
    long Seed = 1);

/// <summary>One progress report; <see cref="CheckAccuracy"/> is set on the steps that ran a check.</summary>
public sealed record InductionHeadsProgress(int Step, int Steps, double Loss, double TrainAccuracy, double? CheckAccuracy,
    double SequencesPerSecond, TimeSpan Elapsed);

/// <summary>Accuracy at the training length after <see cref="Step"/> steps and <see cref="Seconds"/> of training (checks excluded).</summary>
public sealed record InductionHeadsCheck(int Step, double Seconds, double Accuracy);

/// <summary>Accuracy of the answer at the final trigger for sequences of one length.</summary>
public sealed record InductionHeadsLengthResult(int Length, int Sequences, double Accuracy, double Seconds);

public sealed record InductionHeadsResult(
    InductionHeadsSettings Settings, string Device, string Scan, long Parameters, double FinalLoss,
    TimeSpan TrainTime, double SequencesPerSecond, IReadOnlyList<InductionHeadsCheck> Checks,
    IReadOnlyList<InductionHeadsLengthResult> Tests);

/// <summary>
/// Trains a small Mamba on <see cref="InductionHeadsTask"/> at one length (AdamW at a constant rate
/// after a short warm-up, no weight decay: the paper's recipe), then tests it at other lengths in
/// the parallel form, a bounded number of tokens per forward.
/// </summary>
public static class InductionHeadsBenchmark
{
    public static InductionHeadsResult Run(InductionHeadsSettings settings, Device device, ISelectiveScan scan,
        Action<InductionHeadsProgress>? progress = null, Action<InductionHeadsLengthResult>? tested = null,
        CancellationToken cancel = default)
    {
        var task = settings.Task.Validate();
        foreach (int length in settings.TestLengths) (task with { Length = length }).Validate();
        manual_seed(settings.Seed);
        var random = new Random((int)settings.Seed);
        var config = new MambaConfig(settings.DModel, settings.NLayer, VocabSize: task.Classes).Validate();
        using var model = new MambaLM(config, settings.Seed);
        model.to(device);
        model.UseScan(scan);
        using var optimizer = MambaOptimizer.Create(model, settings.LearningRate, settings.WeightDecay);

        var checks = new List<InductionHeadsCheck>();
        var checkRandom = new Random((int)settings.Seed + 2);
        // The untrained model's check: where the curve of accuracy against training time starts.
        checks.Add(new InductionHeadsCheck(0, 0, Accuracy(model, task, settings.CheckSequences, settings.TestTokensPerForward, device, checkRandom)));
        var clock = Stopwatch.StartNew();
        double loss = double.NaN;
        long correct = 0, seen = 0;
        int step = 0;
        model.train();
        while (step < settings.Steps && !cancel.IsCancellationRequested)
        {
            using (var scope = NewDisposeScope())
            {
                var (inputs, answers) = task.Sample(settings.Batch, random);
                answers = answers.to(device);
                var logits = model.forward(inputs.to(device))[.., -1];                  // (b, classes)
                var lossT = F.cross_entropy(logits, answers);
                optimizer.zero_grad();
                lossT.backward();
                nn.utils.clip_grad_norm_(model.parameters(), settings.ClipNorm);
                MambaOptimizer.SetLearningRate(optimizer, settings.LearningRate * Math.Min(1.0, (step + 1.0) / settings.WarmupSteps));
                optimizer.step();
                step++;
                if (step % settings.ReportEvery == 0 || step == settings.Steps || step % settings.CheckEvery == 0)
                {
                    loss = lossT.item<float>();
                    correct += logits.argmax(-1).eq(answers).sum().item<long>();
                    seen += settings.Batch;
                }
            }
            bool check = step % settings.CheckEvery == 0 || step == settings.Steps;
            if (step % settings.ReportEvery != 0 && !check) continue;
            double? accuracy = null;
            if (check)
            {
                clock.Stop();                                                    // the curve is against training time alone
                accuracy = Accuracy(model, task, settings.CheckSequences, settings.TestTokensPerForward, device, checkRandom);
                checks.Add(new InductionHeadsCheck(step, clock.Elapsed.TotalSeconds, accuracy.Value));
                clock.Start();
            }
            progress?.Invoke(new InductionHeadsProgress(step, settings.Steps, loss, seen == 0 ? double.NaN : (double)correct / seen,
                accuracy, step * settings.Batch / clock.Elapsed.TotalSeconds, clock.Elapsed));
            correct = seen = 0;
            if (accuracy >= settings.StopAtAccuracy) break;
        }
        var trainTime = clock.Elapsed;

        var tests = new List<InductionHeadsLengthResult>();
        var testRandom = new Random((int)settings.Seed + 1);
        foreach (int length in settings.TestLengths)
        {
            var timer = Stopwatch.StartNew();
            double accuracy = Accuracy(model, task with { Length = length }, settings.TestSequences, settings.TestTokensPerForward, device, testRandom);
            var row = new InductionHeadsLengthResult(length, settings.TestSequences, accuracy, timer.Elapsed.TotalSeconds);
            tests.Add(row);
            tested?.Invoke(row);
        }
        return new InductionHeadsResult(settings with { Steps = step }, device.ToString(), scan.Name, config.ParameterCount, loss,
            trainTime, step * settings.Batch / trainTime.TotalSeconds, checks, tests);
    }

    /// <summary>
    /// Share of fresh sequences whose answer is the argmax at the final trigger; batches hold at
    /// most <paramref name="tokensPerForward"/> tokens (at least one sequence).
    /// </summary>
    public static double Accuracy(MambaLM model, InductionHeadsTask task, int sequences, long tokensPerForward, Device device, Random random)
    {
        bool training = model.training;
        model.eval();
        using var _ = no_grad();
        int batch = (int)Math.Clamp(tokensPerForward / task.Length, 1, sequences);
        long right = 0;
        for (int done = 0; done < sequences; done += batch)
        {
            using var scope = NewDisposeScope();
            int b = Math.Min(batch, sequences - done);
            var (inputs, answers) = task.Sample(b, random);
            var predicted = model.forward(inputs.to(device))[.., -1].argmax(-1).cpu();
            right += predicted.eq(answers).sum().item<long>();
        }
        if (training) model.train();
        return (double)right / sequences;
    }
}
