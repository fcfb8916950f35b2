using Mamba.Core.Engines;
using Mamba.Training.Model;
using Mamba.Core.Model;
using Mamba.Training.Recurrent;
using Mamba.Core.Sampling;
using static TorchSharp.torch;

namespace Mamba.Training.Engines;

/// <summary>
/// The reference engine: <see cref="MambaLM.Step"/> over a <see cref="MambaState"/> for every slot,
/// on the model's device. Inactive slots are stepped too (on silence) and ignored; a slot's state is
/// zeroed when a stream opens in it. Simple rather than fast: it allocates tensors every step.
/// Sampling is the shared <see cref="TokenSampler"/> on the CPU.
/// </summary>
public sealed class TorchStepEngine : IStepEngine
{
    private readonly MambaLM model;
    private readonly MambaState state;
    private readonly StreamTable table;
    private readonly int vocab;
    private readonly long[] tokens;
    private readonly float[] logits;     // (N, v)
    private readonly float[] probs;
    private readonly long[] order;

    /// <param name="model">Used, not owned: the caller disposes it after the engine.</param>
    public TorchStepEngine(MambaLM model, int slots)
    {
        this.model = model;
        Config = model.Config;
        if (Config.VocabSize > 256) throw new ArgumentException($"engines emit bytes; vocab_size {Config.VocabSize} > 256.", nameof(model));
        vocab = Config.VocabSize;
        table = new StreamTable(slots);
        state = model.AllocateState(slots);
        tokens = new long[slots];
        logits = new float[slots * vocab];
        probs = new float[vocab];
        order = new long[vocab];
    }

    public MambaConfig Config { get; }
    public int Slots => table.Slots;
    public int ActiveCount => table.ActiveCount;
    public bool IsActive(int slot) => (uint)slot < (uint)Slots && table.Active[slot];
    public int SnapshotLength => StreamSnapshot.Length(Config);

    public int Open(SamplingSettings settings)
    {
        int slot = table.Open(settings);
        ZeroState(slot);
        return slot;
    }

    public void Close(int slot) => table.Close(slot);

    public void SetSampling(int slot, SamplingSettings settings, bool reseed) => table.SetSampling(slot, settings, reseed);

    public void Prime(int slot, ReadOnlySpan<byte> prompt)
    {
        table.Require(slot);
        if (prompt.IsEmpty) throw new ArgumentException("a prompt needs at least one sample.", nameof(prompt));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        ZeroState(slot);
        if (prompt.Length > 1)
        {
            // One parallel pass over prompt[..^1] leaves the state after it (MambaLM.Forward's finalState).
            var ids = new long[prompt.Length - 1];
            for (int i = 0; i < ids.Length; i++) ids[i] = prompt[i];
            using var primed = model.AllocateState(1);
            model.Forward(tensor(ids, new long[] { 1, ids.Length }, device: state.Conv.device), primed);
            state.Conv[.., slot].copy_(primed.Conv[.., 0]);
            state.Ssm[.., slot].copy_(primed.Ssm[.., 0]);
        }
        table.Restart(slot, prompt[^1]);
    }

    /// <summary>Not offered: the torch engine primes in one parallel pass from a zeroed state; chunked priming is the CPU and CUDA engines'.</summary>
    public void ContinuePrime(int slot, ReadOnlySpan<byte> more) =>
        throw new NotSupportedException("the torch engine primes a whole prompt in one pass; chunked priming (ContinuePrime) needs the CPU or CUDA engine.");

    /// <summary>Not offered: the torch engine steps every slot as one tensor, so a held slot's state would move.</summary>
    public void SetHeld(int slot, bool held) =>
        throw new NotSupportedException("the torch engine steps every slot as one tensor and cannot hold one stream; use the CPU or CUDA engine.");

    public bool IsHeld(int slot) => false;

    public void Generate(int samples, Span<byte> output, Span<float> lastLogits = default)
    {
        StreamTable.CheckOutputs(Slots, vocab, samples, output.Length, lastLogits.Length);
        for (int t = 0; t < samples; t++)
        {
            StepAll();
            for (int a = 0; a < table.ActiveCount; a++)
            {
                int s = table.ActiveSlots[a];
                var row = logits.AsSpan(s * vocab, vocab);
                var set = table.Settings[s];
                int next = TokenSampler.Sample(row, set.Temperature, set.TopP, ref table.Rng[s], probs, order, out double lp);
                Advance(s, (byte)next, lp);
                output[s * samples + t] = (byte)next;
            }
        }
        if (!lastLogits.IsEmpty && samples > 0) CopyActiveLogits(lastLogits);
    }

    public void TeacherForce(ReadOnlySpan<byte> next, Span<float> logits = default)
    {
        if (next.Length < Slots) throw new ArgumentException($"next holds {next.Length} samples; one per slot ({Slots}) needed.", nameof(next));
        StreamTable.CheckOutputs(Slots, vocab, 0, 0, logits.Length);
        StepAll();
        for (int a = 0; a < table.ActiveCount; a++)
        {
            int s = table.ActiveSlots[a];
            double lp = TokenSampler.LogProbability(this.logits.AsSpan(s * vocab, vocab), next[s], probs);
            Advance(s, next[s], lp);
        }
        if (!logits.IsEmpty) CopyActiveLogits(logits);
    }

    public double LogLikelihood(int slot) { table.Require(slot); return table.LogLikelihood[slot]; }
    public long SampleCount(int slot) { table.Require(slot); return table.Samples[slot]; }

    public float[] ExportState(int slot)
    {
        table.Require(slot);
        using var scope = NewDisposeScope();
        var snapshot = new float[SnapshotLength];
        table.WriteHeader(slot, snapshot);
        var conv = state.Conv[.., slot].cpu().contiguous().data<float>().ToArray();   // (layers, d_in, k)
        var ssm = state.Ssm[.., slot].cpu().contiguous().data<float>().ToArray();     // (layers, d_in, n)
        conv.CopyTo(snapshot, StreamSnapshot.ConvOffset(Config));
        ssm.CopyTo(snapshot, StreamSnapshot.SsmOffset(Config));
        return snapshot;
    }

    public void ImportState(int slot, ReadOnlySpan<float> snapshot)
    {
        table.Require(slot);
        table.ReadHeader(slot, snapshot, Config);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        int l = Config.NLayer, dIn = Config.DInner;
        int convLength = l * dIn * Config.DConv, ssmLength = l * dIn * Config.DState;
        var conv = tensor(snapshot.Slice(StreamSnapshot.ConvOffset(Config), convLength).ToArray(), new long[] { l, dIn, Config.DConv });
        var ssm = tensor(snapshot.Slice(StreamSnapshot.SsmOffset(Config), ssmLength).ToArray(), new long[] { l, dIn, Config.DState });
        state.Conv[.., slot].copy_(conv);
        state.Ssm[.., slot].copy_(ssm);
    }

    public void Dispose() => state.Dispose();

    /// <summary>Feeds every slot's pending sample (silence for closed slots) and fills <see cref="logits"/>.</summary>
    private void StepAll()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (int s = 0; s < Slots; s++) tokens[s] = table.Active[s] ? table.Pending[s] : StreamTable.Silence;
        var input = tensor(tokens, device: state.Conv.device);
        var output = model.Step(input, state).to_type(ScalarType.Float32).cpu().contiguous();   // (N, v)
        output.data<float>().CopyTo(logits);
    }

    private void Advance(int slot, byte next, double logProb)
    {
        table.Pending[slot] = next;
        table.LogLikelihood[slot] += logProb;
        table.Samples[slot]++;
    }

    private void CopyActiveLogits(Span<float> destination)
    {
        for (int a = 0; a < table.ActiveCount; a++)
        {
            int s = table.ActiveSlots[a];
            logits.AsSpan(s * vocab, vocab).CopyTo(destination.Slice(s * vocab, vocab));
        }
    }

    private void ZeroState(int slot)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        state.Conv[.., slot].zero_();
        state.Ssm[.., slot].zero_();
    }
}
