using Mamba.Core.Engines;
using Mamba.Training.Model;
using Mamba.Core.Model;
using Mamba.Training.Recurrent;
using static TorchSharp.torch;

namespace Mamba.Training.Engines;

/// <summary>
/// Primes streams of any engine from a prompt by one parallel forward of the same weights
/// (<see cref="MambaLM.Forward(Tensor, MambaState?)"/> leaves the state after the last position)
/// instead of stepping the prompt sample by sample. The state goes into each slot through the
/// snapshot format (<see cref="StreamSnapshot"/>), which every engine shares, so the result is what
/// <see cref="IStepEngine.Prime"/> gives: state after prompt[..^1], prompt[^1] pending,
/// log-likelihood and count 0, the slot's settings and RNG kept.
/// </summary>
/// <remarks>
/// The forward holds activations for the whole prompt at once (about a dozen (l, d_in) float
/// tensors per layer), so its memory grows with the prompt's length: callers bound the prompt.
/// </remarks>
public sealed class ForwardPriming : IPromptPrimer
{
    private readonly MambaLM model;

    /// <param name="model">The engine's weights as a TorchSharp model (any device); used, not owned.</param>
    public ForwardPriming(MambaLM model) => this.model = model;

    /// <inheritdoc />
    public void Prime(IStepEngine engine, ReadOnlySpan<int> slots, ReadOnlySpan<byte> prompt) => Prime(engine, model, slots, prompt);

    /// <param name="engine">Engine whose open <paramref name="slots"/> are primed.</param>
    /// <param name="model">The engine's weights as a TorchSharp model (any device); its config must equal the engine's.</param>
    /// <param name="slots">Open slots to prime; all get the same state (one forward).</param>
    /// <param name="prompt">Mu-law classes, at least one.</param>
    public static void Prime(IStepEngine engine, MambaLM model, ReadOnlySpan<int> slots, ReadOnlySpan<byte> prompt)
    {
        if (engine.Config != model.Config)
            throw new ArgumentException($"the model ({model.Config}) is not the engine's ({engine.Config}).", nameof(model));
        if (prompt.IsEmpty) throw new ArgumentException("a prompt needs at least one sample.", nameof(prompt));
        var c = engine.Config;
        foreach (int slot in slots)
            if (!engine.IsActive(slot)) throw new InvalidOperationException($"slot {slot} has no open stream.");

        var (conv, ssm) = StateAfter(model, prompt[..^1]);
        foreach (int slot in slots)
        {
            var snapshot = engine.ExportState(slot);
            StreamSnapshot.ReadHeader(snapshot, c, c.VocabSize, out _, out var rng, out _, out _);
            StreamSnapshot.WriteHeader(snapshot, prompt[^1], rng, 0.0, 0);
            conv.CopyTo(snapshot, StreamSnapshot.ConvOffset(c));
            ssm.CopyTo(snapshot, StreamSnapshot.SsmOffset(c));
            engine.ImportState(slot, snapshot);
        }
    }

    /// <summary>
    /// The recurrent state after feeding <paramref name="tokens"/> to a zeroed state, by one parallel
    /// forward: conv (layers, d_in, k) and ssm (layers, d_in, n) as flat float arrays (zeros for no tokens).
    /// </summary>
    public static (float[] Conv, float[] Ssm) StateAfter(MambaLM model, ReadOnlySpan<byte> tokens)
    {
        var c = model.Config;
        if (tokens.IsEmpty)
            return (new float[c.NLayer * c.DInner * c.DConv], new float[c.NLayer * c.DInner * c.DState]);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var ids = new long[tokens.Length];
        for (int i = 0; i < ids.Length; i++) ids[i] = tokens[i];
        using var state = model.AllocateState(1);
        model.Forward(tensor(ids, new long[] { 1, ids.Length }, device: state.Conv.device), state);
        var conv = state.Conv[.., 0].cpu().contiguous().data<float>().ToArray();   // (layers, d_in, k)
        var ssm = state.Ssm[.., 0].cpu().contiguous().data<float>().ToArray();     // (layers, d_in, n)
        return (conv, ssm);
    }
}
