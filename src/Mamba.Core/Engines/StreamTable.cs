using Mamba.Core.Sampling;

namespace Mamba.Core.Engines;

/// <summary>
/// The per-stream bookkeeping every engine shares: which slots are open, each stream's pending
/// sample, settings, RNG, log-likelihood and sample count. Arrays indexed by slot, allocated once.
/// </summary>
internal sealed class StreamTable
{
    public const byte Silence = 128;

    public readonly bool[] Active;
    public readonly byte[] Pending;
    public readonly SamplingSettings[] Settings;
    public readonly Pcg32[] Rng;
    public readonly double[] LogLikelihood;
    public readonly long[] Samples;
    /// <summary>Open streams a step skips (<see cref="IStepEngine.SetHeld"/>).</summary>
    public readonly bool[] Held;
    /// <summary>The open slots in ascending order; <see cref="ActiveCount"/> entries are valid.</summary>
    public readonly int[] ActiveSlots;
    /// <summary>The open slots that are not held, in ascending order: what a step advances; <see cref="StepCount"/> entries are valid.</summary>
    public readonly int[] StepSlots;

    public StreamTable(int slots)
    {
        if (slots < 1) throw new ArgumentOutOfRangeException(nameof(slots), slots, "an engine needs at least one slot.");
        Active = new bool[slots];
        Pending = new byte[slots];
        Settings = new SamplingSettings[slots];
        Rng = new Pcg32[slots];
        LogLikelihood = new double[slots];
        Samples = new long[slots];
        ActiveSlots = new int[slots];
        Held = new bool[slots];
        StepSlots = new int[slots];
    }

    public int Slots => Active.Length;
    public int ActiveCount { get; private set; }
    public int StepCount { get; private set; }

    public int Open(SamplingSettings settings)
    {
        settings.Validate();
        int slot = Array.IndexOf(Active, false);
        if (slot < 0) throw new InvalidOperationException($"all {Slots} stream slots are open; close one first.");
        Active[slot] = true;
        Held[slot] = false;
        Settings[slot] = settings;
        Rng[slot] = new Pcg32(settings.Seed);
        Restart(slot, Silence);
        Reindex();
        return slot;
    }

    public void Close(int slot)
    {
        Require(slot);
        Active[slot] = false;
        Held[slot] = false;
        Reindex();
    }

    public void SetHeld(int slot, bool held)
    {
        Require(slot);
        Held[slot] = held;
        Reindex();
    }

    public void SetSampling(int slot, SamplingSettings settings, bool reseed)
    {
        Require(slot);
        Settings[slot] = settings.Validate();
        if (reseed) Rng[slot] = new Pcg32(settings.Seed);
    }

    /// <summary>Pending sample set, log-likelihood and count cleared (the recurrent state is the engine's).</summary>
    public void Restart(int slot, byte pending)
    {
        Pending[slot] = pending;
        LogLikelihood[slot] = 0;
        Samples[slot] = 0;
    }

    public void Require(int slot)
    {
        if ((uint)slot >= (uint)Slots) throw new ArgumentOutOfRangeException(nameof(slot), slot, $"slots are 0..{Slots - 1}.");
        if (!Active[slot]) throw new InvalidOperationException($"slot {slot} has no open stream.");
    }

    public void WriteHeader(int slot, Span<float> snapshot) =>
        StreamSnapshot.WriteHeader(snapshot, Pending[slot], Rng[slot], LogLikelihood[slot], Samples[slot]);

    public void ReadHeader(int slot, ReadOnlySpan<float> snapshot, Model.MambaConfig config)
    {
        StreamSnapshot.ReadHeader(snapshot, config, config.VocabSize, out var pending, out var rng, out var ll, out var n);
        Pending[slot] = pending;
        Rng[slot] = rng;
        LogLikelihood[slot] = ll;
        Samples[slot] = n;
    }

    /// <summary>Checks the output spans of a step against the slot count.</summary>
    public static void CheckOutputs(int slots, int vocab, int samples, int outputLength, int logitsLength)
    {
        if (samples < 0) throw new ArgumentOutOfRangeException(nameof(samples), samples, "must be >= 0.");
        if (outputLength < (long)slots * samples)
            throw new ArgumentException($"output holds {outputLength} bytes; (slots {slots} x samples {samples}) needed.", "output");
        if (logitsLength != 0 && logitsLength < slots * vocab)
            throw new ArgumentException($"logits hold {logitsLength} floats; (slots {slots} x v {vocab}) needed.", "logits");
    }

    private void Reindex()
    {
        int n = 0, step = 0;
        for (int s = 0; s < Slots; s++)
        {
            if (!Active[s]) continue;
            ActiveSlots[n++] = s;
            if (!Held[s]) StepSlots[step++] = s;
        }
        ActiveCount = n;
        StepCount = step;
    }
}
