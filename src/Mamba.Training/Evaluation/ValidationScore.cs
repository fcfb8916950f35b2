using Mamba.Audio.Corpora;
using Mamba.Core.Engines;
using Mamba.Core.Sampling;
using Mamba.Training.Runs;

namespace Mamba.Training.Evaluation;

/// <summary>What <see cref="ValidationScore.Measure"/> found: bits/sample over <see cref="Samples"/> predicted samples.</summary>
public sealed record ValidationScoreResult(double BitsPerSample, long Samples, int Crops, double UnigramBits, TimeSpan Elapsed);

/// <summary>
/// A checkpoint's validation bits/sample on a corpus's held-out split, scored by teacher forcing through a
/// step engine (the recurrent form, no libtorch). The crops are the ones training validates on (batch i of
/// the validation <see cref="CropSampler"/> for i below the batch count, with the run's seed and crop), and
/// each crop starts from a zeroed state with its first sample pending, as the parallel form sees it, so the
/// figure is the one `train` reported for that checkpoint, to float32 tolerance. Models trained with other
/// crops or on other corpora are compared on the same crops by giving them the same settings.
/// </summary>
public static class ValidationScore
{
    public static ValidationScoreResult Measure(IStepEngine engine, AudioCorpus corpus, int crop, int batch, int batches, long seed,
        Action<int>? batchDone = null, CancellationToken cancel = default)
    {
        if (engine.Slots < batch) throw new ArgumentException($"the engine has {engine.Slots} slots; a batch of {batch} crops needs as many.", nameof(engine));
        if (batches < 1) throw new ArgumentOutOfRangeException(nameof(batches), batches, "at least one batch.");
        var started = System.Diagnostics.Stopwatch.StartNew();
        var sampler = new CropSampler(corpus, CorpusSplit.Validation, crop, seed);
        int row = crop + 1;
        var bytes = new byte[batch * row];
        var next = new byte[engine.Slots];
        var slots = new int[batch];
        for (int s = 0; s < batch; s++) slots[s] = engine.Open(new SamplingSettings(1, 1, 0));
        double nats = 0;
        for (int i = 0; i < batches; i++)
        {
            cancel.ThrowIfCancellationRequested();
            sampler.Fill(i, batch, bytes);
            for (int s = 0; s < batch; s++) engine.Prime(slots[s], bytes.AsSpan(s * row, 1));
            for (int t = 1; t < row; t++)
            {
                for (int s = 0; s < batch; s++) next[slots[s]] = bytes[s * row + t];
                engine.TeacherForce(next);
            }
            for (int s = 0; s < batch; s++) nats -= engine.LogLikelihood(slots[s]);
            batchDone?.Invoke(i + 1);
        }
        foreach (int slot in slots) engine.Close(slot);
        long samples = (long)batches * batch * crop;
        return new ValidationScoreResult(nats / samples / Math.Log(2), samples, batches * batch, corpus.UnigramEntropyBits(CorpusSplit.Validation), started.Elapsed);
    }
}
