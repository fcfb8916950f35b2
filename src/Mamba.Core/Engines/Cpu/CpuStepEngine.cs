using System.Runtime.InteropServices;
using Mamba.Core.Model;
using Mamba.Core.Sampling;

namespace Mamba.Core.Engines.Cpu;

/// <summary>
/// The real-time engine for machines without a GPU: the recurrent step in fused float32 C#
/// (<see cref="CpuKernels"/>), weights laid out once (<see cref="CpuWeights"/>), state and scratch
/// allocated once, nothing allocated per step. Active streams are split into one contiguous chunk
/// per thread; within a chunk the streams are stepped together, so each weight row is read once per
/// block of streams (mat-mats over streams). A stream's samples are the same bits whatever the
/// number of threads, the other streams, the vector width or the x64 machine (see
/// <see cref="CpuKernels"/>): a seed is a recording.
/// </summary>
/// <remarks>
/// Where the time goes (small preset, one stream, AVX-512 machine, ns per step measured kernel by
/// kernel): per layer in_proj ~470, scan with its n x d_in exps ~550 (1200 held to Vector256),
/// out_proj ~110, x_proj ~95, conv ~75, RMSNorm ~35; then the head ~470 and sampling ~300.
/// Many streams: each chunk is stepped as one group, so the weights are read once per block of
/// 4 streams (and the last 1-3 as one block) rather than once per stream. There the mat-vecs run at
/// about one 512-bit FMA a cycle, Zen 4's peak, and the SSM's exps are the largest share (BENCHMARKS.md).
/// </remarks>
public sealed unsafe class CpuStepEngine : IStepEngine
{
    private readonly CpuWeights w;
    private readonly CpuEngineOptions options;
    private readonly StreamTable table;
    private readonly float[] state;          // (slots, layers, (k + n), DInP): conv window (k, DInP), then h (n, DInP)
    private readonly int slotStride, layerStride;
    private readonly CpuScratch[] scratch;   // one per thread
    private readonly CpuWorkers workers;
    private readonly LayerPointers[] layers;
    private readonly GCHandle[] pins;
    private readonly float* embedding, headT, normF;
    private readonly Action<int> runPart;
    private readonly CpuVectorWidth simd;   // resolved: never wider than the hardware
    private readonly int d, k, n, r, vocab;

    // The current job for the workers (set by Generate / TeacherForce, valid during the call only).
    private int jobParts, jobSamples;
    private byte* jobOutput;
    private float* jobLogits;
    private byte* jobForced;

    /// <param name="weights">Read only; may be shared by several engines.</param>
    public CpuStepEngine(CpuWeights weights, int slots, CpuEngineOptions? options = null)
    {
        w = weights;
        this.options = options ?? CpuEngineOptions.Default;
        Config = w.Config;
        if (Config.VocabSize > 256) throw new ArgumentException($"engines emit bytes; vocab_size {Config.VocabSize} > 256.", nameof(weights));
        simd = this.options.VectorWidth.Resolve();
        (d, k, n, r, vocab) = (Config.DModel, Config.DConv, Config.DState, Config.DtRank, Config.VocabSize);
        table = new StreamTable(slots);
        layerStride = (k + n) * w.DInP;
        slotStride = Config.NLayer * layerStride;
        state = GC.AllocateArray<float>(slots * slotStride, pinned: true);

        int threads = Math.Max(1, Math.Min(this.options.ResolvedThreads, slots));
        scratch = new CpuScratch[threads];
        // Part t of p gets at most ceil(active / p) <= ceil(slots / (t + 1)) streams.
        for (int t = 0; t < threads; t++) scratch[t] = new CpuScratch(w, (slots + t) / (t + 1));
        workers = new CpuWorkers(threads);
        runPart = RunPart;

        var pinList = new List<GCHandle>();
        float* Pin(float[] a) { var h = GCHandle.Alloc(a, GCHandleType.Pinned); pinList.Add(h); return (float*)h.AddrOfPinnedObject(); }
        embedding = Pin(w.Embedding); headT = Pin(w.HeadT); normF = Pin(w.NormF);
        layers = new LayerPointers[Config.NLayer];
        for (int l = 0; l < layers.Length; l++)
        {
            var L = w.Layers[l];
            layers[l] = new LayerPointers(Pin(L.Norm), Pin(L.InProjT), Pin(L.ConvW), Pin(L.ConvB), Pin(L.XProj),
                Pin(L.DtProjT), Pin(L.DtBias), Pin(L.A), Pin(L.D), Pin(L.OutProjT));
        }
        pins = pinList.ToArray();
    }

    public MambaConfig Config { get; }
    public CpuWeights Weights => w;
    public int Slots => table.Slots;
    public int ActiveCount => table.ActiveCount;
    public bool IsActive(int slot) => (uint)slot < (uint)Slots && table.Active[slot];
    public int SnapshotLength => StreamSnapshot.Length(Config);

    /// <summary>Threads a Generate over many streams uses (the caller's included).</summary>
    public int Threads => scratch.Length;

    public int Open(SamplingSettings settings)
    {
        int slot = table.Open(settings);
        state.AsSpan(slot * slotStride, slotStride).Clear();
        return slot;
    }

    public void Close(int slot) => table.Close(slot);

    public void SetSampling(int slot, SamplingSettings settings, bool reseed) => table.SetSampling(slot, settings, reseed);

    /// <summary>Steps prompt[..^1] through this engine's own kernels (teacher forcing without sampling).</summary>
    public void Prime(int slot, ReadOnlySpan<byte> prompt)
    {
        table.Require(slot);
        if (prompt.IsEmpty) throw new ArgumentException("a prompt needs at least one sample.", nameof(prompt));
        state.AsSpan(slot * slotStride, slotStride).Clear();
        Span<int> one = stackalloc int[1] { slot };
        Span<byte> token = stackalloc byte[1];
        for (int i = 0; i < prompt.Length - 1; i++)
        {
            token[0] = prompt[i];
            Forward(scratch[0], one, token, withHead: false);
        }
        table.Restart(slot, prompt[^1]);
    }

    public void ContinuePrime(int slot, ReadOnlySpan<byte> more)
    {
        table.Require(slot);
        if (more.IsEmpty) throw new ArgumentException("a continuation needs at least one sample.", nameof(more));
        Span<int> one = stackalloc int[1] { slot };
        Span<byte> token = stackalloc byte[1];
        for (int i = -1; i < more.Length - 1; i++)
        {
            token[0] = i < 0 ? table.Pending[slot] : more[i];
            Forward(scratch[0], one, token, withHead: false);
        }
        table.Pending[slot] = more[^1];
    }

    public void SetHeld(int slot, bool held) => table.SetHeld(slot, held);
    public bool IsHeld(int slot) => IsActive(slot) && table.Held[slot];

    public void Generate(int samples, Span<byte> output, Span<float> lastLogits = default)
    {
        StreamTable.CheckOutputs(Slots, vocab, samples, output.Length, lastLogits.Length);
        if (samples == 0 || table.StepCount == 0) return;
        fixed (byte* o = output)
        fixed (float* lg = lastLogits)
        {
            jobOutput = o; jobLogits = lg; jobSamples = samples; jobForced = null;
            Dispatch();
            jobOutput = null; jobLogits = null;
        }
    }

    public void TeacherForce(ReadOnlySpan<byte> next, Span<float> logits = default)
    {
        if (next.Length < Slots) throw new ArgumentException($"next holds {next.Length} samples; one per slot ({Slots}) needed.", nameof(next));
        StreamTable.CheckOutputs(Slots, vocab, 0, 0, logits.Length);
        if (table.StepCount == 0) return;
        fixed (byte* f = next)
        fixed (float* lg = logits)
        {
            jobForced = f; jobLogits = lg; jobSamples = 1; jobOutput = null;
            Dispatch();
            jobForced = null; jobLogits = null;
        }
    }

    public double LogLikelihood(int slot) { table.Require(slot); return table.LogLikelihood[slot]; }
    public long SampleCount(int slot) { table.Require(slot); return table.Samples[slot]; }

    public float[] ExportState(int slot)
    {
        table.Require(slot);
        var s = new float[SnapshotLength];
        table.WriteHeader(slot, s);
        StreamSnapshot.FromPadded(Config, w.DInP, state.AsSpan(slot * slotStride, slotStride), s);
        return s;
    }

    public void ImportState(int slot, ReadOnlySpan<float> snapshot)
    {
        table.Require(slot);
        table.ReadHeader(slot, snapshot, Config);
        StreamSnapshot.ToPadded(Config, w.DInP, snapshot, state.AsSpan(slot * slotStride, slotStride));
    }

    public void Dispose()
    {
        workers.Dispose();
        foreach (var h in pins) h.Free();
    }

    /// <summary>Splits the active streams into one contiguous chunk per thread and runs them.</summary>
    private void Dispatch()
    {
        jobParts = Math.Min(Threads, table.StepCount);
        workers.Run(jobParts, runPart);
    }

    /// <summary>One thread's share of the job: <see cref="jobSamples"/> steps of its chunk of streams.</summary>
    private void RunPart(int part)
    {
        int active = table.StepCount;
        int start = (int)((long)active * part / jobParts), end = (int)((long)active * (part + 1) / jobParts);
        var slots = new ReadOnlySpan<int>(table.StepSlots, start, end - start);
        var sc = scratch[part];
        int g0 = slots.Length;
        byte* pending = stackalloc byte[g0];
        var pendingSpan = new Span<byte>(pending, g0);
        for (int t = 0; t < jobSamples; t++)
        {
            for (int g = 0; g < g0; g++) pendingSpan[g] = table.Pending[slots[g]];
            Forward(sc, slots, pendingSpan, withHead: true);
            for (int g = 0; g < g0; g++)
            {
                int s = slots[g];
                var logits = new ReadOnlySpan<float>(sc.Logits, g * w.Vp, vocab);
                int next;
                double lp;
                if (jobForced != null)
                {
                    next = jobForced[s];
                    lp = TokenSampler.LogProbability(logits, next, sc.Probs);
                }
                else
                {
                    var set = table.Settings[s];
                    next = TokenSampler.Sample(logits, set.Temperature, set.TopP, ref table.Rng[s], sc.Probs, sc.Order, out lp);
                    jobOutput[(long)s * jobSamples + t] = (byte)next;
                }
                table.Pending[s] = (byte)next;
                table.LogLikelihood[s] += lp;
                table.Samples[s]++;
                if (jobLogits != null && t == jobSamples - 1)
                    logits.CopyTo(new Span<float>(jobLogits + (long)s * vocab, vocab));
            }
        }
    }

    /// <summary>
    /// One step of the model for a group of streams: feeds tokens[g] to the stream in slots[g] and,
    /// with the head, leaves the logits in scratch rows (G, Vp).
    /// </summary>
    private void Forward(CpuScratch sc, ReadOnlySpan<int> slots, ReadOnlySpan<byte> tokens, bool withHead)
    {
        int G = slots.Length, dp = w.Dp, dInP = w.DInP, xw = sc.XDblP;
        fixed (float* res = sc.Residual, xn = sc.Normed, xz = sc.Xz, xc = sc.Xc, xdbl = sc.XDbl, y = sc.Y, outp = sc.Out, logits = sc.Logits)
        fixed (float* st = state)
        {
            for (int g = 0; g < G; g++)
                new ReadOnlySpan<float>(embedding + tokens[g] * dp, dp).CopyTo(new Span<float>(res + g * dp, dp));
            for (int l = 0; l < layers.Length; l++)
            {
                ref readonly var L = ref layers[l];
                for (int g = 0; g < G; g++) CpuKernels.RmsNorm(res + g * dp, L.Norm, xn + g * dp, d, dp, simd);
                CpuKernels.MatMulColumns(L.InProjT, dp, 2 * dInP, xn, dp, xz, 2 * dInP, G, simd);          // (G, 2 d_in)
                for (int g = 0; g < G; g++)
                {
                    float* layerState = st + slots[g] * slotStride + l * layerStride;
                    CpuKernels.ConvStep(layerState, L.ConvW, L.ConvB, xz + g * 2 * dInP, xc + g * dInP, k, dInP, simd);
                }
                CpuKernels.MatMulRows(L.XProj, w.XDbl, dInP, xc, dInP, xdbl, xw, G, simd);                // (G, r + 2n)
                for (int g = 0; g < G; g++)
                {
                    float* h = st + slots[g] * slotStride + l * layerStride + k * dInP;
                    CpuKernels.SsmStep(h, L.A, L.D, L.DtProjT, L.DtBias, xdbl + g * xw, r, n,
                        xc + g * dInP, xz + g * 2 * dInP + dInP, y + g * dInP, dInP, simd);
                }
                CpuKernels.MatMulColumns(L.OutProjT, dInP, dp, y, dInP, outp, dp, G, simd);                // (G, d)
                for (int g = 0; g < G; g++) CpuKernels.Add(res + g * dp, outp + g * dp, dp, simd);
            }
            if (!withHead) return;
            for (int g = 0; g < G; g++) CpuKernels.RmsNorm(res + g * dp, normF, xn + g * dp, d, dp, simd);
            CpuKernels.MatMulColumns(headT, dp, w.Vp, xn, dp, logits, w.Vp, G, simd);                      // (G, v)
        }
    }

    /// <summary>One layer's pinned weight arrays (see <see cref="CpuLayerWeights"/>).</summary>
    private readonly struct LayerPointers(float* norm, float* inProjT, float* convW, float* convB, float* xProj,
        float* dtProjT, float* dtBias, float* a, float* d, float* outProjT)
    {
        public readonly float* Norm = norm, InProjT = inProjT, ConvW = convW, ConvB = convB, XProj = xProj,
            DtProjT = dtProjT, DtBias = dtBias, A = a, D = d, OutProjT = outProjT;
    }
}
