using ILGPU;
using ILGPU.Runtime;

namespace Mamba.Training.Scan;

/// <summary>Sizes of one chunked scan, passed to every kernel.</summary>
internal readonly struct ChunkedScanSizes
{
    public readonly int Batch, Length, DIn, N, Slices, Chunks, DInPadded, Warps;

    /// <param name="n">The state size the kernels see: already padded to whole <see cref="StateSlice"/>s.</param>
    public ChunkedScanSizes(int batch, int length, int dIn, int n, int warpSize)
    {
        if (n % StateSlice.Size != 0) throw new ArgumentException($"n = {n} must be padded to a multiple of {StateSlice.Size}.", nameof(n));
        if (warpSize is not (4 or 8 or 16 or 32)) throw new ArgumentException($"The scan's warp sums take warps of 4, 8, 16 or 32 lanes, not {warpSize}.", nameof(warpSize));
        Batch = batch; Length = length; DIn = dIn; N = n;
        Slices = n / StateSlice.Size;
        Chunks = (length + ChunkedScanKernels.ChunkLength - 1) / ChunkedScanKernels.ChunkLength;
        DInPadded = (dIn + warpSize - 1) / warpSize * warpSize;
        Warps = DInPadded / warpSize;
    }

    /// <summary>Threads of the per-chunk kernels: one per (batch, chunk, channel).</summary>
    public int ChunkThreads => Batch * Chunks * DIn;

    /// <summary>Threads of the per-state kernels: one per (batch, state, channel).</summary>
    public int StateThreads => Batch * N * DIn;
}

/// <summary>
/// The selective scan as ILGPU kernels: the hardware-aware algorithm of the Mamba paper, in chunks.
/// The sequence is cut into chunks of <see cref="ChunkLength"/> steps. A chunk scanned from h = 0
/// gives its end state; since exp(delta A) multiplies, a chunk's total decay is exp(A * sum of its
/// deltas), so one short sequential pass over chunks gives every chunk's true start state, and a
/// second scan of each chunk from its start state gives y. The backward pass does the same for the
/// adjoint (right to left), then one kernel per chunk recomputes the chunk's states and walks it
/// backwards. Device memory holds only chunk boundaries (b x chunks x n x d_in), never the
/// b x l x d_in x n states.
/// A thread holds one channel's states sixteen at a time (<see cref="StateSlice"/>, registers); n is
/// padded to whole slices by the caller, and a channel with more than one slice walks its chunk once
/// per slice, adding into y (and du, ddelta) after the first.
/// Layout (kernel side): u, delta, y, du, ddelta: (b, l, d_in); A: (d_in, n); B, C: (b, l, n);
/// chunk tensors: (b, chunks, n, d_in) so that neighbouring threads (channels) touch neighbouring
/// addresses. Threads of one warp are consecutive channels of one (batch, chunk); dB and dC, sums
/// over channels, are reduced across the warp with shuffles and written per warp
/// (b, warps, l, slices, 2, 16), summed afterwards: no atomics, so results are deterministic.
/// </summary>
internal static class ChunkedScanKernels
{
    /// <summary>Largest state size n the kernels take.</summary>
    public const int MaxN = 64;

    /// <summary>Steps a chunk: its boundaries are what the forward keeps for the backward (n/32 floats a step and channel).</summary>
    public const int ChunkLength = 32;

    /// <summary>
    /// Steps the backward recomputes and keeps in registers at once: a chunk's states are recomputed
    /// from boundaries every <see cref="SubChunk"/> steps (local memory, one slice each), then each
    /// piece again, walked backwards with its five states in registers.
    /// </summary>
    private const int SubChunk = 4;

    private const int SubChunks = ChunkLength / SubChunk;

    private static long Row(int b, int t, in ChunkedScanSizes s) => (long)b * s.Length + t;

    private static long ChunkIndex(int b, int c, int n, int d, in ChunkedScanSizes s) =>
        (((long)b * s.Chunks + c) * s.N + n) * s.DIn + d;

    /// <summary>Forward 1, one thread per (b, chunk, d): the chunk scanned from h = 0; its end state and delta sum.</summary>
    public static void ChunkEnds(Index1D index, ChunkedScanSizes s, ArrayView<float> u, ArrayView<float> delta,
        ArrayView<float> A, ArrayView<float> B, ArrayView<float> ends, ArrayView<float> deltaSums)
    {
        int d = index % s.DIn, bc = index / s.DIn, c = bc % s.Chunks, b = bc / s.Chunks;
        int t0 = c * ChunkLength, t1 = Math.Min(s.Length, t0 + ChunkLength);
        float deltaSum = 0f;
        for (int slice = 0; slice < s.Slices; slice++)
        {
            int n0 = slice * StateSlice.Size;
            var a = StateSlice.Load(A, (long)d * s.N + n0);
            var h = default(StateSlice);
            for (int t = t0; t < t1; t++)
            {
                long row = Row(b, t, s);
                float dt = delta[row * s.DIn + d];
                if (slice == 0) deltaSum += dt;
                h = StateSlice.Advance(h, a, dt, dt * u[row * s.DIn + d], StateSlice.Load(B, row * s.N + n0));
            }
            h.StoreStrided(ends, ChunkIndex(b, c, n0, d, s), s.DIn);
        }
        deltaSums[((long)b * s.Chunks + c) * s.DIn + d] = deltaSum;
    }

    /// <summary>
    /// Forward 2, one thread per (b, n, d): walks the chunks left to right; a chunk's start state is
    /// the previous start decayed by the previous chunk plus that chunk's own end state. The state
    /// after the last chunk is h_l.
    /// </summary>
    public static void ChunkStarts(Index1D index, ChunkedScanSizes s, ArrayView<float> A, ArrayView<float> ends,
        ArrayView<float> deltaSums, ArrayView<float> starts, ArrayView<float> last)
    {
        int d = index % s.DIn, n = index / s.DIn % s.N, b = index / (s.DIn * s.N);
        float a = A[(long)d * s.N + n];
        float h = 0f;
        for (int c = 0; c < s.Chunks; c++)
        {
            long at = ChunkIndex(b, c, n, d, s);
            starts[at] = h;
            h = MathF.Exp(a * deltaSums[((long)b * s.Chunks + c) * s.DIn + d]) * h + ends[at];
        }
        last[((long)b * s.N + n) * s.DIn + d] = h;
    }

    /// <summary>Forward 3, one thread per (b, chunk, d): the chunk scanned from its start state, y = C . h.</summary>
    public static void ChunkOutputs(Index1D index, ChunkedScanSizes s, ArrayView<float> u, ArrayView<float> delta,
        ArrayView<float> A, ArrayView<float> B, ArrayView<float> C, ArrayView<float> starts, ArrayView<float> y)
    {
        int d = index % s.DIn, bc = index / s.DIn, c = bc % s.Chunks, b = bc / s.Chunks;
        int t0 = c * ChunkLength, t1 = Math.Min(s.Length, t0 + ChunkLength);
        for (int slice = 0; slice < s.Slices; slice++)
        {
            int n0 = slice * StateSlice.Size;
            var a = StateSlice.Load(A, (long)d * s.N + n0);
            var h = StateSlice.LoadStrided(starts, ChunkIndex(b, c, n0, d, s), s.DIn);
            for (int t = t0; t < t1; t++)
            {
                long row = Row(b, t, s);
                float dt = delta[row * s.DIn + d];
                h = StateSlice.Advance(h, a, dt, dt * u[row * s.DIn + d], StateSlice.Load(B, row * s.N + n0));
                float yt = StateSlice.Dot(StateSlice.Load(C, row * s.N + n0), h);
                long at = row * s.DIn + d;
                y[at] = slice == 0 ? yt : y[at] + yt;
            }
        }
    }

    /// <summary>
    /// Backward 1, one thread per (b, chunk, d): the adjoint lambda_t = dy_t C_t + a_{t+1} lambda_{t+1}
    /// run right to left through the chunk from zero; writes a_first * lambda_first, what the chunk
    /// hands to the chunk before it when nothing comes from the right.
    /// </summary>
    public static void AdjointEnds(Index1D index, ChunkedScanSizes s, ArrayView<float> delta, ArrayView<float> A,
        ArrayView<float> C, ArrayView<float> dy, ArrayView<float> adjointEnds)
    {
        int d = index % s.DIn, bc = index / s.DIn, c = bc % s.Chunks, b = bc / s.Chunks;
        int t0 = c * ChunkLength, t1 = Math.Min(s.Length, t0 + ChunkLength);
        for (int slice = 0; slice < s.Slices; slice++)
        {
            int n0 = slice * StateSlice.Size;
            var a = StateSlice.Load(A, (long)d * s.N + n0);
            var r = default(StateSlice);
            for (int t = t1 - 1; t >= t0; t--)
            {
                long row = Row(b, t, s);
                float g = dy[row * s.DIn + d];
                r = StateSlice.Decay(delta[row * s.DIn + d], a) * (g * StateSlice.Load(C, row * s.N + n0) + r);
            }
            r.StoreStrided(adjointEnds, ChunkIndex(b, c, n0, d, s), s.DIn);
        }
    }

    /// <summary>
    /// Backward 2, one thread per (b, n, d): walks the chunks right to left; what enters chunk c from
    /// the right is what chunk c+1 hands on, plus chunk c+1's total decay times what entered it.
    /// </summary>
    public static void AdjointStarts(Index1D index, ChunkedScanSizes s, ArrayView<float> A, ArrayView<float> adjointEnds,
        ArrayView<float> deltaSums, ArrayView<float> adjointStarts)
    {
        int d = index % s.DIn, n = index / s.DIn % s.N, b = index / (s.DIn * s.N);
        float a = A[(long)d * s.N + n];
        float carry = 0f;
        for (int c = s.Chunks - 1; c >= 0; c--)
        {
            long at = ChunkIndex(b, c, n, d, s);
            adjointStarts[at] = carry;
            carry = adjointEnds[at] + MathF.Exp(a * deltaSums[((long)b * s.Chunks + c) * s.DIn + d]) * carry;
        }
    }

    /// <summary>
    /// Backward 3, one thread per (b, chunk, padded d), launched in whole warps, once per slice of
    /// states: recomputes the chunk's states from its start, keeping every <see cref="SubChunk"/>-th
    /// (local memory), then walks the pieces right to left, each recomputed into registers, with the
    /// true adjoint. du, ddelta are per thread; dA is summed over the chunk per thread
    /// (b, chunks, n, d_in), summed over b and chunks afterwards; dB, dC are summed over the warp's
    /// channels by shuffles (<see cref="WarpSums"/>) and stored side by side, per warp. Padding lanes (d >= d_in) read zeros and compute zeros, so that every lane
    /// of a warp takes part in the shuffles; steps past the sequence's end are skipped by the whole warp.
    /// </summary>
    public static void ChunkGradients(ChunkedScanSizes s, ChunkedScanOperands x, ArrayView<float> dy,
        ArrayView<float> starts, ArrayView<float> adjointStarts, ChunkedScanGradients grads)
    {
        int thread = Grid.GlobalIndex.X;
        if (thread >= s.Batch * s.Chunks * s.DInPadded) return;   // whole warps only: DInPadded is a multiple of the warp size
        int d = thread % s.DInPadded, bc = thread / s.DInPadded, c = bc % s.Chunks, b = bc / s.Chunks;
        var lane = new ChannelLane(d < s.DIn, d < s.DIn ? d : 0, d / Warp.WarpSize, b, c * ChunkLength, Math.Min(s.Length, c * ChunkLength + ChunkLength));
        var pieceStarts = LocalMemory.Allocate<float>(SubChunks * StateSlice.Size);
        for (int slice = 0; slice < s.Slices; slice++)
        {
            int n0 = slice * StateSlice.Size;
            var a = StateSlice.Load(x.A, (long)lane.D * s.N + n0);
            long boundary = ChunkIndex(b, c, n0, lane.D, s);
            var h = lane.Active ? StateSlice.LoadStrided(starts, boundary, s.DIn) : default;
            var r = lane.Active ? StateSlice.LoadStrided(adjointStarts, boundary, s.DIn) : default;
            var dA = default(StateSlice);
            int pieces = (lane.T1 - lane.T0 + SubChunk - 1) / SubChunk;
            for (int p = 0; p < pieces; p++)
            {
                h.Store(pieceStarts, p * StateSlice.Size);
                for (int t = lane.T0 + p * SubChunk, end = t + SubChunk; t < end; t++) h = Forward(s, x, lane, n0, t, h, a);
            }
            // Written out for SubChunk = 4: each of a piece's five states needs its own registers.
            for (int p = pieces - 1; p >= 0; p--)
            {
                int t = lane.T0 + p * SubChunk;
                var h0 = StateSlice.Load(pieceStarts, p * StateSlice.Size);
                var h1 = Forward(s, x, lane, n0, t, h0, a);
                var h2 = Forward(s, x, lane, n0, t + 1, h1, a);
                var h3 = Forward(s, x, lane, n0, t + 2, h2, a);
                var h4 = Forward(s, x, lane, n0, t + 3, h3, a);
                Backward(s, x, dy, grads, lane, n0, slice, t + 3, h3, h4, a, ref r, ref dA);
                Backward(s, x, dy, grads, lane, n0, slice, t + 2, h2, h3, a, ref r, ref dA);
                Backward(s, x, dy, grads, lane, n0, slice, t + 1, h1, h2, a, ref r, ref dA);
                Backward(s, x, dy, grads, lane, n0, slice, t, h0, h1, a, ref r, ref dA);
            }
            if (lane.Active) dA.StoreStrided(grads.DAPerChunk, boundary, s.DIn);
        }
    }

    /// <summary>One step of the recurrence, h_t from h_{t-1}; past the chunk's end, h unchanged.</summary>
    private static StateSlice Forward(in ChunkedScanSizes s, in ChunkedScanOperands x, in ChannelLane lane, int n0, int t,
        StateSlice previous, StateSlice a)
    {
        if (t >= lane.T1) return previous;
        long row = Row(lane.B, t, s);
        float dt = lane.Active ? x.Delta[row * s.DIn + lane.D] : 0f;
        float dtx = lane.Active ? dt * x.U[row * s.DIn + lane.D] : 0f;
        return StateSlice.Advance(previous, a, dt, dtx, StateSlice.Load(x.B, row * s.N + n0));
    }

    /// <summary>
    /// Step t of the backward walk: the adjoint lambda_t = dy_t C_t + r from the right, and what it
    /// gives du, ddelta, dA, dB and dC; r becomes a_t lambda_t for step t-1.
    /// </summary>
    private static void Backward(in ChunkedScanSizes s, in ChunkedScanOperands x, ArrayView<float> dy, in ChunkedScanGradients grads,
        in ChannelLane lane, int n0, int slice, int t, StateSlice previous, StateSlice current, StateSlice a,
        ref StateSlice r, ref StateSlice dA)
    {
        if (t >= lane.T1) return;   // the same t for every lane of the warp: the shuffles below stay whole
        long row = Row(lane.B, t, s);
        long at = row * s.DIn + lane.D;
        float dt = lane.Active ? x.Delta[at] : 0f;
        float ut = lane.Active ? x.U[at] : 0f;
        float g = lane.Active ? dy[at] : 0f;
        var bt = StateSlice.Load(x.B, row * s.N + n0);
        var decay = StateSlice.Decay(dt, a);
        var lambda = g * StateSlice.Load(x.C, row * s.N + n0) + r;
        var q = lambda * decay * previous;                       // d(loss)/d(a_t) per state, times a_t
        float sumLambdaB = StateSlice.Dot(lambda, bt);
        float dDelta = StateSlice.Dot(a, q) + ut * sumLambdaB;
        dA = dA + dt * q;
        // (b, warps, l, slices, 32): this slice's 16 dB sums, then its 16 dC sums.
        long perWarp = ((((long)lane.B * s.Warps + lane.WarpOfRow) * s.Length + t) * s.Slices + slice) * 2 * StateSlice.Size;
        WarpSums.SumAndStore((dt * ut) * lambda, g * current, grads.DBCPerWarp, perWarp);
        r = decay * lambda;
        if (lane.Active)
        {
            float du = dt * sumLambdaB;
            grads.DU[at] = slice == 0 ? du : grads.DU[at] + du;
            grads.DDelta[at] = slice == 0 ? dDelta : grads.DDelta[at] + dDelta;
        }
    }
}

/// <summary>
/// Where one thread of <see cref="ChunkedScanKernels.ChunkGradients"/> works: its channel (clamped
/// for padding lanes), which warp of its (batch, chunk) row of channels it is in, its batch and chunk steps.
/// </summary>
internal readonly struct ChannelLane
{
    public readonly bool Active;
    public readonly int D, WarpOfRow, B, T0, T1;

    public ChannelLane(bool active, int d, int warpOfRow, int b, int t0, int t1)
    {
        Active = active; D = d; WarpOfRow = warpOfRow; B = b; T0 = t0; T1 = t1;
    }
}

/// <summary>The forward operands, in the kernels' layout.</summary>
internal struct ChunkedScanOperands
{
    public ArrayView<float> U, Delta, A, B, C;
}

/// <summary>Where <see cref="ChunkedScanKernels.ChunkGradients"/> writes.</summary>
internal struct ChunkedScanGradients
{
    public ArrayView<float> DU, DDelta, DAPerChunk, DBCPerWarp;
}
