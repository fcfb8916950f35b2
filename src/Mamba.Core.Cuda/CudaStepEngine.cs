using ILGPU;
using ILGPU.Runtime;
using Mamba.Core.Engines;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Model;
using Mamba.Core.Sampling;

namespace Mamba.Core.Cuda;

/// <summary>
/// The generation engine on the GPU (<see cref="IStepEngine"/>): every active stream's recurrent state
/// and the weights live on the device; one launch of <see cref="CudaStepKernel"/> runs every active
/// stream through up to <see cref="MaxStepsPerLaunch"/> steps, sampling on the GPU. A group steps a
/// tile of streams together (<see cref="StreamsPerGroup"/>): one stream a group while all their groups
/// fit on the multiprocessors at once (several a multiprocessor, hiding each other's waits), larger
/// tiles beyond that (weights loaded once for the tile). Between launches streams join and leave (the host keeps the slot table, as the CPU engine
/// does) and their pending sample, RNG, settings and likelihood go up and come back.
/// While so few streams are active that each can have <see cref="PartsPerStream"/> multiprocessors, each is spread over
/// that many groups instead (<see cref="CudaSpreadStepKernel"/>): the lowest latency a stream gets, and priming runs so too.
/// </summary>
public sealed class CudaStepEngine : IStepEngine
{
    /// <summary>Steps one launch runs (longer generations are several launches): bounds the token buffer and a launch's time.</summary>
    public const int MaxStepsPerLaunch = 4096;

    private readonly Accelerator accelerator;
    private readonly CudaModelLayout layout;
    private readonly StreamTable table;
    private readonly int groupSize, dInP, maxStreamsPerGroup;
    private readonly int? fixedStreamsPerGroup;
    private readonly Kernel compiledKernel;
    private readonly int residentSingles;   // groups of one stream a multiprocessor holds at once
    private readonly MemoryBuffer1D<float, Stride1D.Dense> weights, state, logits;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> slotList, pending;
    private readonly MemoryBuffer1D<ulong, Stride1D.Dense> rng;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> sampling;
    private readonly MemoryBuffer1D<byte, Stride1D.Dense> tokens;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> logProb;
    private readonly Action<AcceleratorStream, KernelConfig, CudaModelLayout, CudaStepJob, ArrayView<float>, ArrayView<float>, ArrayView<int>,
        ArrayView<int>, ArrayView<ulong>, ArrayView<float>, ArrayView<byte>, ArrayView<float>, ArrayView<float>> kernel;
    private readonly int[] hostSlots, hostPending;
    private readonly ulong[] hostRng;
    private readonly float[] hostSampling;
    private readonly float[] hostLogProb, hostLogits;
    private byte[] hostTokens = [];

    // The spread form (PartsPerStream > 0): each part's weights, the exchange words, the epoch of the next step.
    private readonly CudaPartLayout parts;
    private readonly int partsPerStream, spreadLanes, spreadGroupSize;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? partWeights;
    private MemoryBuffer1D<ulong, Stride1D.Dense>? exchange;   // grown by ProfileSpread for its stamps
    private readonly Action<AcceleratorStream, KernelConfig, CudaModelLayout, CudaPartLayout, CudaSpreadJob, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<int>, ArrayView<int>, ArrayView<ulong>, ArrayView<float>, ArrayView<byte>, ArrayView<float>, ArrayView<float>, ArrayView<ulong>>? spreadKernel;
    private readonly Kernel? clusterKernel;   // the spread kernel loaded for clusters: not in ILGPU's cache, so this engine's to dispose
    private uint epoch = 1;
    private int profiledSteps;   // steps of the next spread launch that write clock stamps (ProfileSpread)

    /// <param name="streamsPerGroup">Streams a group steps together, fixed (tests); by default chosen per launch.</param>
    /// <param name="partsPerStream">
    /// Groups a stream is spread over while streams are few: 0 never spreads them (every launch in tiles), null chooses
    /// (<see cref="DefaultParts"/>); it must divide d_inner, d_model and the classes (padded to 8) and be at most the multiprocessors.
    /// </param>
    /// <param name="clusters">
    /// Whether a spread stream's parts run as one thread-block cluster and exchange through each other's shared memory
    /// (<see cref="CudaCluster"/>) rather than through L2: true requires it (compute capability 9.0, at most
    /// <see cref="CudaClusterKernel.MaxSize"/> parts), false never, null where the device can and the parts are at most
    /// the portable 8 (the default parts are then 8 where they would be 16 or fewer through L2).
    /// </param>
    public CudaStepEngine(CpuWeights weights, int slots, Accelerator accelerator, int? streamsPerGroup = null, int? partsPerStream = null, bool? clusters = null)
    {
        Config = weights.Config;
        if (Config.VocabSize > 256) throw new ArgumentException($"engines emit bytes; vocab_size {Config.VocabSize} > 256.", nameof(weights));
        if (slots < 1) throw new ArgumentOutOfRangeException(nameof(slots), slots, "at least one slot.");
        this.accelerator = accelerator;
        layout = new CudaModelLayout(weights);
        dInP = weights.DInP;
        table = new StreamTable(slots);
        if (accelerator.WarpSize < 8 || accelerator.WarpSize % 8 != 0)
            throw new ArgumentException($"the step kernel adds x_proj's 8 lanes by warp shuffles; {accelerator.Name} has {accelerator.WarpSize}-thread warps.", nameof(accelerator));
        // A thread an in_proj output (256 for small, 1024 for base): the widest phase has one work item a thread.
        int warp = accelerator.WarpSize, widest = (2 * layout.DInP + warp - 1) / warp * warp;
        groupSize = Math.Clamp(widest, Math.Min(128, accelerator.MaxNumThreadsPerGroup), Math.Min(1024, accelerator.MaxNumThreadsPerGroup)) / warp * warp;
        // Shared memory bounds the tile: 48 KiB, what a CUDA group gets without opting in to more.
        int sharedFloats = Math.Min(48 * 1024, accelerator.MaxSharedMemoryPerGroup) / sizeof(float);
        maxStreamsPerGroup = Math.Min(16, sharedFloats / layout.SharedFloats(1));
        if (maxStreamsPerGroup < 1)
            throw new ArgumentException($"one stream of this model needs {layout.SharedFloats(1) * 4} bytes of shared memory; {accelerator.Name} gives a group {sharedFloats * 4}.", nameof(weights));
        if (streamsPerGroup is { } fixedTile && (fixedTile < 1 || fixedTile > maxStreamsPerGroup))
            throw new ArgumentOutOfRangeException(nameof(streamsPerGroup), fixedTile, $"a group steps 1 to {maxStreamsPerGroup} streams of this model together.");
        fixedStreamsPerGroup = streamsPerGroup;
        this.weights = accelerator.Allocate1D(CudaModelLayout.Pack(weights));
        state = accelerator.Allocate1D<float>((long)slots * layout.StateSlotStride);
        state.MemSetToZero();
        logits = accelerator.Allocate1D<float>((long)slots * layout.V);
        slotList = accelerator.Allocate1D<int>(slots);
        pending = accelerator.Allocate1D<int>(slots);
        rng = accelerator.Allocate1D<ulong>(2L * slots);
        sampling = accelerator.Allocate1D<float>(2L * slots);
        tokens = accelerator.Allocate1D<byte>((long)slots * MaxStepsPerLaunch);
        logProb = accelerator.Allocate1D<float>(slots);
        (hostSlots, hostPending, hostRng, hostSampling, hostLogProb) = (new int[slots], new int[slots], new ulong[2 * slots], new float[2 * slots], new float[slots]);
        hostLogits = new float[slots * Config.VocabSize];
        // Compiled for exactly this group size (PTX .maxntid): without it the compiler spends registers as if a
        // group were small, and base's 1024-thread groups asked for more than a multiprocessor has (72 a thread,
        // "too many resources requested for launch" on the H200).
        compiledKernel = accelerator.LoadKernel(typeof(CudaStepKernel).GetMethod(nameof(CudaStepKernel.Run))!, new KernelSpecialization(groupSize, null));
        // The driver's occupancy estimate needs a CUDA device; ILGPU's CPU accelerator (the tests) runs one group a "multiprocessor".
        residentSingles = accelerator.AcceleratorType == AcceleratorType.Cuda ? Math.Max(1, ResidentGroupsPerMultiprocessor(1)) : 1;
        kernel = compiledKernel.CreateLauncherDelegate<Action<AcceleratorStream, KernelConfig, CudaModelLayout, CudaStepJob, ArrayView<float>, ArrayView<float>, ArrayView<int>,
            ArrayView<int>, ArrayView<ulong>, ArrayView<float>, ArrayView<byte>, ArrayView<float>, ArrayView<float>>>();

        this.partsPerStream = partsPerStream switch
        {
            // Where a stream's parts through L2 would be few enough for a cluster, a portable cluster of them instead:
            // on the H200 small is fastest in clusters of 8 (37,217 samples/s; 16 in a cluster 33,725, 16 through L2
            // 26,742), and base, whose slices fit L1 only at 64 parts, through L2 (16 in a cluster 6,357; BENCHMARKS).
            null when DefaultParts(layout, accelerator.NumMultiprocessors) is var l2 && l2 <= CudaClusterKernel.MaxSize && clusters != false
                && CudaClusterKernel.Unsupported(accelerator, CudaClusterKernel.PortableSize) is null => Math.Min(l2, CudaClusterKernel.PortableSize),
            null => DefaultParts(layout, accelerator.NumMultiprocessors),
            < 0 => throw new ArgumentOutOfRangeException(nameof(partsPerStream), partsPerStream, "parts a stream: 0 (never spread) or more."),
            var n when n > accelerator.NumMultiprocessors =>
                throw new ArgumentOutOfRangeException(nameof(partsPerStream), n, $"the parts of a stream run at once, one a multiprocessor; {accelerator.Name} has {accelerator.NumMultiprocessors}."),
            var n => n.Value,
        };
        if (this.partsPerStream > 0)
        {
            parts = new CudaPartLayout(layout, this.partsPerStream, warp);
            spreadLanes = accelerator.NumMultiprocessors / this.partsPerStream;
            spreadGroupSize = Math.Clamp((2 * parts.Channels * parts.ModelLanes + warp - 1) / warp * warp, Math.Min(128, accelerator.MaxNumThreadsPerGroup),
                Math.Min(1024, accelerator.MaxNumThreadsPerGroup)) / warp * warp;
            if (parts.SharedFloats * sizeof(float) > Math.Min(48 * 1024, accelerator.MaxSharedMemoryPerGroup))
                throw new ArgumentException($"a part of a stream spread over {this.partsPerStream} groups needs {parts.SharedFloats * 4} bytes of shared memory; {accelerator.Name} gives a group 48 KiB: spread it over more.", nameof(partsPerStream));
            partWeights = accelerator.Allocate1D(parts.Pack(weights, layout));
            exchange = accelerator.Allocate1D<ulong>(parts.ExchangeWords(spreadLanes));
            exchange.MemSetToZero();
            string? noClusters = CudaClusterKernel.Unsupported(accelerator, this.partsPerStream);
            if (clusters == true && noClusters is not null)
                throw new ArgumentException($"parts of a stream as a thread-block cluster: {noClusters}.", nameof(clusters));
            Clustered = clusters ?? (noClusters is null && this.partsPerStream <= CudaClusterKernel.PortableSize);
            var spread = Clustered
                ? clusterKernel = CudaClusterKernel.Load(accelerator, typeof(CudaSpreadStepKernel).GetMethod(nameof(CudaSpreadStepKernel.RunInCluster))!,
                    spreadGroupSize, this.partsPerStream)
                : accelerator.LoadKernel(typeof(CudaSpreadStepKernel).GetMethod(nameof(CudaSpreadStepKernel.Run))!, new KernelSpecialization(spreadGroupSize, null));
            CudaCarveout.PreferL1(spread, accelerator, parts.SharedFloats * sizeof(float));
            spreadKernel = spread.CreateLauncherDelegate<Action<AcceleratorStream, KernelConfig, CudaModelLayout, CudaPartLayout, CudaSpreadJob, ArrayView<float>, ArrayView<float>,
                ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<ulong>, ArrayView<float>, ArrayView<byte>, ArrayView<float>, ArrayView<float>, ArrayView<ulong>>>();
        }
    }

    /// <summary>
    /// Parts a stream is spread over through L2: the most, up to <paramref name="most"/> multiprocessors, that leave a
    /// part eight or more inner channels and divide d_inner, d_model and the classes (16 for small, 64 for base on the
    /// H200's 132); 0 (never spread) where that is one.
    /// </summary>
    public static int DefaultParts(CudaModelLayout layout, int most)
    {
        int best = 0;
        for (int n = 2; n <= most && n * 8 <= layout.DInP; n *= 2)
            if (layout.DInP % n == 0 && layout.Dp % n == 0 && layout.Vp % n == 0) best = n;
        return best;
    }

    /// <summary>The engine on the first CUDA GPU.</summary>
    public static CudaStepEngine OnGpu(CpuWeights weights, int slots) => new(weights, slots, CudaAccelerators.Cuda());

    public MambaConfig Config { get; }
    public int Slots => table.Slots;
    public int ActiveCount => table.ActiveCount;
    public bool IsActive(int slot) => (uint)slot < (uint)Slots && table.Active[slot];
    public int SnapshotLength => StreamSnapshot.Length(Config);

    /// <summary>What it runs on, for reports ("NVIDIA H200", "CPU accelerator").</summary>
    public string Device => accelerator.Name;

    /// <summary>Threads per group of a tile.</summary>
    public int GroupSize => groupSize;

    /// <summary>Groups a stream is spread over while streams are few (0: never).</summary>
    public int PartsPerStream => partsPerStream;

    /// <summary>Whether a spread stream's parts run as one thread-block cluster (see the constructor's clusters).</summary>
    public bool Clustered { get; }

    /// <summary>Threads per group of a spread stream.</summary>
    public int SpreadGroupSize => spreadGroupSize;

    /// <summary>Whether <paramref name="streams"/> active streams are each spread over <see cref="PartsPerStream"/> groups (else stepped in tiles).</summary>
    public bool Spreads(int streams) => partsPerStream > 0 && streams <= spreadLanes;

    /// <summary>
    /// Groups of the tiles kernel, <paramref name="streamsPerGroup"/> streams each, that one multiprocessor holds at once
    /// (its registers, threads and shared memory; the driver's occupancy estimate).
    /// </summary>
    public int ResidentGroupsPerMultiprocessor(int streamsPerGroup) =>
        accelerator.EstimateMaxActiveGroupsPerMultiprocessor(compiledKernel, groupSize, layout.SharedFloats(streamsPerGroup) * sizeof(float));

    /// <summary>The most streams a group steps together (shared memory bounds it).</summary>
    public int MaxStreamsPerGroup => maxStreamsPerGroup;

    /// <summary>
    /// Streams a group steps together when <paramref name="streams"/> are stepped: one while every stream's group can be
    /// resident at once (<see cref="ResidentGroupsPerMultiprocessor"/> of them a multiprocessor), then enough for two
    /// groups a multiprocessor (one where only one fits) in whole waves, up to <see cref="MaxStreamsPerGroup"/>.
    /// </summary>
    public int StreamsPerGroup(int streams)
    {
        if (fixedStreamsPerGroup is { } fixedTile) return fixedTile;
        int sms = Math.Max(1, accelerator.NumMultiprocessors);
        // A lone group on a multiprocessor mostly waits (at barriers, on L2): groups of one stream that all fit at once
        // hide each other's waits. Beyond that, tiles for two groups a multiprocessor. Measured on the H200 (small, 4 groups
        // fit): 264 streams 1.13x real time against 0.86x in tiles of 2, 396 0.95x against 0.72x, 1,024 8.4 M samples/s in
        // tiles of 4 against 6.1 M in tiles of 8 (one group a multiprocessor) and 7.1 M in tiles of 2 (four).
        if (streams <= sms * residentSingles) return 1;
        // Beyond, whole waves of groups: a last wave half full leaves multiprocessors idle (base, one group a
        // multiprocessor, 1,024 streams: tiles of 4 in two full waves 642k samples/s, tiles of 5 in 1.55 waves 448k).
        int perWave = sms * Math.Min(2, residentSingles);
        int waves = (streams + perWave * maxStreamsPerGroup - 1) / (perWave * maxStreamsPerGroup);
        return Math.Clamp((streams + waves * perWave - 1) / (waves * perWave), 1, maxStreamsPerGroup);
    }

    public int Open(SamplingSettings settings)
    {
        int slot = table.Open(settings);
        state.View.SubView((long)slot * layout.StateSlotStride, layout.StateSlotStride).MemSetToZero();
        return slot;
    }

    public void Close(int slot) => table.Close(slot);

    public void SetSampling(int slot, SamplingSettings settings, bool reseed) => table.SetSampling(slot, settings, reseed);

    public void Prime(int slot, ReadOnlySpan<byte> prompt)
    {
        table.Require(slot);
        if (prompt.IsEmpty) throw new ArgumentException("a prompt needs at least one sample.", nameof(prompt));
        state.View.SubView((long)slot * layout.StateSlotStride, layout.StateSlotStride).MemSetToZero();
        Feed(slot, prompt[..^1]);
        table.Restart(slot, prompt[^1]);
    }

    public void ContinuePrime(int slot, ReadOnlySpan<byte> more)
    {
        table.Require(slot);
        if (more.IsEmpty) throw new ArgumentException("a continuation needs at least one sample.", nameof(more));
        var feed = new byte[more.Length];
        feed[0] = table.Pending[slot];
        more[..^1].CopyTo(feed.AsSpan(1));
        Feed(slot, feed);
        table.Pending[slot] = more[^1];
    }

    public void SetHeld(int slot, bool held) => table.SetHeld(slot, held);
    public bool IsHeld(int slot) => IsActive(slot) && table.Held[slot];

    /// <summary>Steps <paramref name="feed"/> through one stream's state without sampling (priming).</summary>
    private void Feed(int slot, ReadOnlySpan<byte> feed)
    {
        for (int done = 0; done < feed.Length; done += MaxStepsPerLaunch)
        {
            int n = Math.Min(MaxStepsPerLaunch, feed.Length - done);
            EnsureTokens(n);
            feed.Slice(done, n).CopyTo(hostTokens.AsSpan(slot * n, n));
            Launch([slot], new CudaStepJob(n, CudaStepJob.Prime, 1, 1), n);
        }
    }

    public void Generate(int samples, Span<byte> output, Span<float> lastLogits = default)
    {
        StreamTable.CheckOutputs(Slots, Config.VocabSize, samples, output.Length, lastLogits.Length);
        if (samples == 0 || table.StepCount == 0) return;
        var active = table.StepSlots.AsSpan(0, table.StepCount).ToArray();
        for (int done = 0; done < samples; done += MaxStepsPerLaunch)
        {
            int n = Math.Min(MaxStepsPerLaunch, samples - done);
            EnsureTokens(n);
            Launch(active, new CudaStepJob(n, CudaStepJob.Generate, active.Length, StreamsPerGroup(active.Length)), n);
            foreach (int s in active)
            {
                hostTokens.AsSpan(s * n, n).CopyTo(output.Slice(s * samples + done, n));
                table.Samples[s] += n;
            }
        }
        if (!lastLogits.IsEmpty) CopyLogits(active, lastLogits);
    }

    public void TeacherForce(ReadOnlySpan<byte> next, Span<float> logits = default)
    {
        if (next.Length < Slots) throw new ArgumentException($"next has {next.Length} entries; the engine has {Slots} slots.", nameof(next));
        StreamTable.CheckOutputs(Slots, Config.VocabSize, 1, Slots, logits.Length);
        if (table.StepCount == 0) return;
        var active = table.StepSlots.AsSpan(0, table.StepCount).ToArray();
        EnsureTokens(1);
        foreach (int s in active) hostTokens[s] = next[s];
        Launch(active, new CudaStepJob(1, CudaStepJob.TeacherForce, active.Length, StreamsPerGroup(active.Length)), 1);
        foreach (int s in active) table.Samples[s]++;
        if (!logits.IsEmpty) CopyLogits(active, logits);
    }

    private void EnsureTokens(int steps)
    {
        if (hostTokens.Length < Slots * steps) hostTokens = new byte[Slots * MaxStepsPerLaunch];
    }

    /// <summary>One launch over <paramref name="active"/>: the streams' bookkeeping up, the kernel, the results back into the table.</summary>
    private void Launch(int[] active, CudaStepJob job, int steps)
    {
        for (int g = 0; g < active.Length; g++)
        {
            int s = active[g];
            hostSlots[g] = s;
            hostPending[s] = table.Pending[s];
            (hostRng[2 * s], hostRng[2 * s + 1]) = (table.Rng[s].State, table.Rng[s].Increment);
            (hostSampling[2 * s], hostSampling[2 * s + 1]) = (table.Settings[s].Temperature, table.Settings[s].TopP);
        }
        slotList.View.CopyFromCPU(hostSlots);
        pending.View.CopyFromCPU(hostPending);
        rng.View.CopyFromCPU(hostRng);
        sampling.View.CopyFromCPU(hostSampling);
        var tokenView = tokens.View.BaseView.SubView(0, (long)Slots * steps);
        // Generate writes the tokens; priming and teacher forcing read them. The kernel writes every launched stream's likelihood.
        if (job.Mode != CudaStepJob.Generate) tokenView.CopyFromCPU(hostTokens.AsSpan(0, Slots * steps));
        if (Spreads(job.Streams)) LaunchSpread(job, steps, tokenView);
        else
        {
            var config = new KernelConfig(job.Groups, groupSize, SharedMemoryConfig.RequestDynamic<float>(layout.SharedFloats(job.StreamsPerGroup)));
            kernel(accelerator.DefaultStream, config, layout, job, weights.View, state.View, slotList.View, pending.View, rng.View, sampling.View,
                tokenView, logits.View, logProb.View);
            accelerator.Synchronize();
        }
        if (job.Mode == CudaStepJob.Prime) return;
        tokenView.CopyToCPU(hostTokens.AsSpan(0, Slots * steps));
        pending.View.CopyToCPU(hostPending);
        rng.View.CopyToCPU(hostRng);
        logProb.View.CopyToCPU(hostLogProb);
        foreach (int s in active)
        {
            table.Pending[s] = (byte)hostPending[s];
            table.Rng[s] = Pcg32.FromRaw(hostRng[2 * s], hostRng[2 * s + 1]);
            table.LogLikelihood[s] += hostLogProb[s];
        }
    }

    /// <summary>
    /// The spread kernel over <paramref name="job"/>'s streams, a lane of <see cref="PartsPerStream"/> groups each. Epochs
    /// only grow, so no word left from an earlier step passes for this one; before they would wrap, the words are cleared
    /// and the epochs begin again. A part that waited seconds for the others (they never ran at once) fails the launch.
    /// </summary>
    private void LaunchSpread(CudaStepJob job, int steps, ArrayView<byte> tokenView)
    {
        if (epoch > uint.MaxValue - (uint)steps - 1)
        {
            exchange!.MemSetToZero();
            epoch = 1;
        }
        long flag = (long)spreadLanes * parts.ExLaneStride;
        var spread = new CudaSpreadJob(job, epoch, exchange!.NativePtr.ToInt64(), flag, job.Mode == CudaStepJob.Generate ? Math.Min(profiledSteps, steps) : 0);
        var config = new KernelConfig(job.Streams * partsPerStream, spreadGroupSize, SharedMemoryConfig.RequestDynamic<float>(parts.SharedFloats));
        spreadKernel!(accelerator.DefaultStream, config, layout, parts, spread, weights.View, partWeights!.View, state.View, slotList.View, pending.View,
            rng.View, sampling.View, tokenView, logits.View, logProb.View, exchange.View);
        accelerator.Synchronize();
        epoch += (uint)steps;
        var raised = new ulong[1];
        exchange.View.SubView(flag, 1).CopyToCPU(raised);
        if (raised[0] != 0)
        {
            exchange.MemSetToZero();
            epoch = 1;
            throw new InvalidOperationException($"CUDA engine: the {partsPerStream} groups of a stream did not run at once (one waited seconds for the others): " +
                $"is another program holding {accelerator.Name}'s multiprocessors? The streams of this launch are lost; open them again, or make the engine with partsPerStream: 0.");
        }
    }

    /// <summary>
    /// Generates <paramref name="samples"/> (at most <see cref="MaxStepsPerLaunch"/>: one launch) of every active stream, as
    /// <see cref="Generate"/> does, with the spread kernel's first <paramref name="profiledSteps"/> steps stamped by each
    /// group's clock, and says where a step's time went (<see cref="CudaSpreadProfile"/>). The stamps cost a store each
    /// by one thread a group. Only while the active streams are spread (<see cref="Spreads"/>).
    /// </summary>
    public CudaSpreadProfile ProfileSpread(int samples, Span<byte> output, int profiledSteps = 512)
    {
        if (!Spreads(table.StepCount) || table.StepCount == 0)
            throw new InvalidOperationException($"profiling is of the spread kernel; {table.StepCount} streams are stepped{(partsPerStream == 0 ? " and this engine never spreads" : $", it spreads up to {spreadLanes}")}.");
        if (samples < 1 || samples > MaxStepsPerLaunch) throw new ArgumentOutOfRangeException(nameof(samples), samples, $"one launch: 1 to {MaxStepsPerLaunch} samples.");
        if (profiledSteps < 1) throw new ArgumentOutOfRangeException(nameof(profiledSteps), profiledSteps, "at least one step.");
        int steps = Math.Min(profiledSteps, samples), groups = table.StepCount * partsPerStream, perStep = CudaSpreadProfile.StampsPerStep(Config.NLayer);
        // The stamps go after the exchange words' flag (and a word for the CPU accelerator's clock): a buffer that long,
        // cleared, so the epochs begin again.
        long flag = (long)spreadLanes * parts.ExLaneStride, words = flag + 2 + (long)groups * steps * perStep;
        if (exchange!.Length < words)
        {
            exchange.Dispose();
            exchange = accelerator.Allocate1D<ulong>(words);
        }
        exchange.MemSetToZero();
        epoch = 1;
        this.profiledSteps = steps;
        try { Generate(samples, output); }
        finally { this.profiledSteps = 0; }
        var raw = new ulong[words - flag - 2];
        exchange.View.SubView(flag + 2, raw.Length).CopyToCPU(raw);
        var stamps = Array.ConvertAll(raw, r => (long)r);
        double clockMHz = accelerator is ILGPU.Runtime.Cuda.CudaAccelerator cuda ? cuda.ClockRate : 0;   // ILGPU gives MHz (1,980 on the H200)
        return CudaSpreadProfile.FromStamps(stamps, groups, steps, Config.NLayer, clockMHz);
    }

    private void CopyLogits(int[] active, Span<float> destination)
    {
        logits.View.CopyToCPU(hostLogits);
        foreach (int s in active) hostLogits.AsSpan(s * Config.VocabSize, Config.VocabSize).CopyTo(destination.Slice(s * Config.VocabSize, Config.VocabSize));
    }

    public double LogLikelihood(int slot) { table.Require(slot); return table.LogLikelihood[slot]; }
    public long SampleCount(int slot) { table.Require(slot); return table.Samples[slot]; }

    public float[] ExportState(int slot)
    {
        table.Require(slot);
        var s = new float[SnapshotLength];
        table.WriteHeader(slot, s);
        var padded = new float[layout.StateSlotStride];
        state.View.SubView((long)slot * layout.StateSlotStride, layout.StateSlotStride).CopyToCPU(padded);
        StreamSnapshot.FromPadded(Config, dInP, padded, s);
        return s;
    }

    public void ImportState(int slot, ReadOnlySpan<float> snapshot)
    {
        table.Require(slot);
        table.ReadHeader(slot, snapshot, Config);
        var padded = new float[layout.StateSlotStride];
        StreamSnapshot.ToPadded(Config, dInP, snapshot, padded);
        state.View.SubView((long)slot * layout.StateSlotStride, layout.StateSlotStride).CopyFromCPU(padded);
    }

    public void Dispose()
    {
        foreach (var buffer in new MemoryBuffer[] { weights, state, logits, slotList, pending, rng, sampling, tokens, logProb }) buffer.Dispose();
        partWeights?.Dispose();
        exchange?.Dispose();
        clusterKernel?.Dispose();
        // Not compiledKernel: the accelerator caches a loaded kernel and hands the same one to every engine of
        // this group size (disposing it here broke the next engine: "invalid resource handle" on the H200).
    }
}
