using Mamba.Core.Model;
using Mamba.Core.Sampling;

namespace Mamba.Core.Engines;

/// <summary>
/// A generation engine: the recurrent form of a <see cref="MambaLM"/> for up to <see cref="Slots"/>
/// streams at once. A stream holds its recurrent state, its <em>pending</em> sample (the last one
/// chosen, not yet fed to the model), its sampling settings and RNG, and the log-likelihood of what
/// it produced. One step feeds every active stream its pending sample, computes the logits for the
/// next one, picks it (sampling or teacher forcing) and makes it pending.
/// Streams join (<see cref="Open"/>) and leave (<see cref="Close"/>) between calls; slots are reused.
/// Not thread-safe: one caller at a time.
/// </summary>
public interface IStepEngine : IDisposable
{
    /// <summary>The model's sizes.</summary>
    MambaConfig Config { get; }

    /// <summary>N, the number of stream slots (fixed at construction).</summary>
    int Slots { get; }

    /// <summary>Number of open streams.</summary>
    int ActiveCount { get; }

    /// <summary>Whether <paramref name="slot"/> holds an open stream.</summary>
    bool IsActive(int slot);

    /// <summary>
    /// Opens a stream in the lowest free slot and returns it: zeroed state, pending sample 128
    /// (mu-law silence: unconditional generation), RNG seeded from <paramref name="settings"/>,
    /// log-likelihood 0. Throws <see cref="InvalidOperationException"/> when every slot is taken.
    /// </summary>
    int Open(SamplingSettings settings);

    /// <summary>Closes a stream; its slot can be opened again.</summary>
    void Close(int slot);

    /// <summary>Changes temperature and top-p (live); reseeds the RNG from settings.Seed only when <paramref name="reseed"/>.</summary>
    void SetSampling(int slot, SamplingSettings settings, bool reseed);

    /// <summary>
    /// Restarts the stream from a prompt: the state is that after feeding prompt[..^1] to a zeroed
    /// state and prompt[^1] becomes the pending sample, so the next step predicts what follows the
    /// prompt. Log-likelihood and sample count restart at 0; settings and RNG are kept. A one-sample
    /// prompt {128} is the state <see cref="Open"/> gives.
    /// </summary>
    void Prime(int slot, ReadOnlySpan<byte> prompt);

    /// <summary>
    /// Continues a prime in chunks, so that a long prompt can be fed between the steps of other
    /// streams: feeds the pending sample and more[..^1], and more[^1] becomes pending. Prime(a) then
    /// ContinuePrime(b) leaves the state Prime(a ++ b) leaves. Log-likelihood and sample count are
    /// kept; settings and RNG too.
    /// </summary>
    void ContinuePrime(int slot, ReadOnlySpan<byte> more);

    /// <summary>
    /// Holds an open stream out of the steps (a paused stream, or one whose listener's buffer is
    /// full) or lets it step again. <see cref="Generate"/> and <see cref="TeacherForce"/> skip a held
    /// stream: its state, pending sample, RNG, counts and output row are untouched. Open and Close
    /// clear the hold.
    /// </summary>
    void SetHeld(int slot, bool held);

    /// <summary>Whether <paramref name="slot"/> is open and held.</summary>
    bool IsHeld(int slot);

    /// <summary>
    /// Advances every active stream that is not held by <paramref name="samples"/> steps, sampling each next sample.
    /// output: (Slots, samples) bytes, row = slot; rows of inactive slots are left as they were.
    /// lastLogits (optional, empty to skip): (Slots, v) logits of the last step, for tests.
    /// </summary>
    void Generate(int samples, Span<byte> output, Span<float> lastLogits = default);

    /// <summary>
    /// One step with the next samples given instead of sampled (teacher forcing, scoring): each
    /// active stream feeds its pending sample, writes its logits to logits[slot] (Slots, v; optional)
    /// and makes next[slot] (Slots) pending, adding ln p(next) to its log-likelihood. The RNG is untouched.
    /// </summary>
    void TeacherForce(ReadOnlySpan<byte> next, Span<float> logits = default);

    /// <summary>Sum of ln p(sample) of every sample the stream produced or was forced to, under the model's untempered distribution.</summary>
    double LogLikelihood(int slot);

    /// <summary>Number of samples the stream produced or was forced to since it opened or was primed.</summary>
    long SampleCount(int slot);

    /// <summary>Length of a snapshot: <see cref="StreamSnapshot.Length"/>(Config).</summary>
    int SnapshotLength { get; }

    /// <summary>
    /// Copies a stream out (pause, fork, move to another engine): recurrent state, pending sample,
    /// RNG, log-likelihood and sample count in <see cref="StreamSnapshot"/>'s layout. Settings are not part of it.
    /// </summary>
    float[] ExportState(int slot);

    /// <summary>Overwrites an open stream with a snapshot from <see cref="ExportState"/> of any engine on the same config.</summary>
    void ImportState(int slot, ReadOnlySpan<float> snapshot);
}
