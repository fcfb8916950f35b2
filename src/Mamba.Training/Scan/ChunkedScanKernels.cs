using ILGPU;
using ILGPU.Runtime;

namespace Mamba.Training.Scan;

/// <summary>Sizes of one chunked scan, passed to every kernel.</summary>
internal readonly struct ChunkedScanSizes
{
    public readonly int Batch, Length, DIn, N, ChunkLength, Chunks, DInPadded, Warps;

    public ChunkedScanSizes(int batch, int length, int dIn, int n, int warpSize)
    {
        Batch = batch; Length = length; DIn = dIn; N = n;
        ChunkLength = ChunkedScanKernels.ChunkLengthFor(n);
        Chunks = (length + ChunkLength - 1) / ChunkLength;
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
/// The sequence is cut into chunks of <see cref="ChunkedScanSizes.ChunkLength"/> steps. A chunk
/// scanned from h = 0 gives its end state; since exp(delta A) multiplies, a chunk's total decay is
/// exp(A * sum of its deltas), so one short sequential pass over chunks gives every chunk's true
/// start state, and a second scan of each chunk from its start state gives y. The backward pass
/// does the same for the adjoint (right to left), then one kernel per chunk recomputes the chunk's
/// states into per-thread local memory and walks it backwards. Device memory holds only chunk
/// boundaries (b x chunks x n x d_in), never the b x l x d_in x n states.
/// Layout (kernel side): u, delta, y, du, ddelta: (b, l, d_in); A: (d_in, n); B, C: (b, l, n);
/// chunk tensors: (b, chunks, n, d_in) so that neighbouring threads (channels) touch neighbouring
/// addresses. Threads of one warp are consecutive channels of one (batch, chunk); dB and dC, sums
/// over channels, are reduced across the warp with shuffles and written per warp (b, warps, l, n),
/// summed afterwards: no atomics, so results are deterministic.
/// </summary>
internal static class ChunkedScanKernels
{
    /// <summary>Largest state size n the kernels take (per-thread local arrays are this long).</summary>
    public const int MaxN = 64;

    /// <summary>Floats of per-thread local memory that hold one chunk's states in the backward pass.</summary>
    private const int ChunkStateFloats = 512;

    /// <summary>Chunk length: as long as the backward's local memory allows, at most 64 steps.</summary>
    public static int ChunkLengthFor(int n) => Math.Min(64, ChunkStateFloats / Math.Max(1, n));

    private static long Row(int b, int t, in ChunkedScanSizes s) => (long)b * s.Length + t;

    private static long ChunkIndex(int b, int c, int n, int d, in ChunkedScanSizes s) =>
        (((long)b * s.Chunks + c) * s.N + n) * s.DIn + d;

    /// <summary>Forward 1, one thread per (b, chunk, d): the chunk scanned from h = 0; its end state and delta sum.</summary>
    public static void ChunkEnds(Index1D index, ChunkedScanSizes s, ArrayView<float> u, ArrayView<float> delta,
        ArrayView<float> A, ArrayView<float> B, ArrayView<float> ends, ArrayView<float> deltaSums)
    {
        int d = index % s.DIn, bc = index / s.DIn, c = bc % s.Chunks, b = bc / s.Chunks;
        var h = LocalMemory.Allocate<float>(MaxN);
        for (int n = 0; n < s.N; n++) h[n] = 0f;
        float deltaSum = 0f;
        int t1 = Math.Min(s.Length, (c + 1) * s.ChunkLength);
        for (int t = c * s.ChunkLength; t < t1; t++)
        {
            long row = Row(b, t, s);
            float dt = delta[row * s.DIn + d];
            float dtx = dt * u[row * s.DIn + d];
            deltaSum += dt;
            for (int n = 0; n < s.N; n++)
                h[n] = MathF.Exp(dt * A[(long)d * s.N + n]) * h[n] + dtx * B[row * s.N + n];
        }
        for (int n = 0; n < s.N; n++) ends[ChunkIndex(b, c, n, d, s)] = h[n];
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
        var h = LocalMemory.Allocate<float>(MaxN);
        for (int n = 0; n < s.N; n++) h[n] = starts[ChunkIndex(b, c, n, d, s)];
        int t1 = Math.Min(s.Length, (c + 1) * s.ChunkLength);
        for (int t = c * s.ChunkLength; t < t1; t++)
        {
            long row = Row(b, t, s);
            float dt = delta[row * s.DIn + d];
            float dtx = dt * u[row * s.DIn + d];
            float yt = 0f;
            for (int n = 0; n < s.N; n++)
            {
                h[n] = MathF.Exp(dt * A[(long)d * s.N + n]) * h[n] + dtx * B[row * s.N + n];
                yt += C[row * s.N + n] * h[n];
            }
            y[row * s.DIn + d] = yt;
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
        var r = LocalMemory.Allocate<float>(MaxN);
        for (int n = 0; n < s.N; n++) r[n] = 0f;
        int t0 = c * s.ChunkLength, t1 = Math.Min(s.Length, t0 + s.ChunkLength);
        for (int t = t1 - 1; t >= t0; t--)
        {
            long row = Row(b, t, s);
            float dt = delta[row * s.DIn + d];
            float g = dy[row * s.DIn + d];
            for (int n = 0; n < s.N; n++)
                r[n] = MathF.Exp(dt * A[(long)d * s.N + n]) * (g * C[row * s.N + n] + r[n]);
        }
        for (int n = 0; n < s.N; n++) adjointEnds[ChunkIndex(b, c, n, d, s)] = r[n];
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
    /// Backward 3, one thread per (b, chunk, padded d), launched in whole warps: recomputes the chunk's
    /// states, then walks it right to left with the true adjoint. du, ddelta are per thread; dA is
    /// summed over the chunk per thread (b, chunks, n, d_in), summed over b and chunks afterwards;
    /// dB, dC are summed over the warp's channels by shuffles. Padding lanes (d >= d_in) compute zeros
    /// so that every lane of a warp takes part in the shuffles.
    /// </summary>
    public static void ChunkGradients(ChunkedScanSizes s, ChunkedScanOperands x, ArrayView<float> dy,
        ArrayView<float> starts, ArrayView<float> adjointStarts, ChunkedScanGradients grads)
    {
        int thread = Grid.GlobalIndex.X;
        if (thread >= s.Batch * s.Chunks * s.DInPadded) return;   // whole warps only: DInPadded is a multiple of the warp size
        int d = thread % s.DInPadded, bc = thread / s.DInPadded, c = bc % s.Chunks, b = bc / s.Chunks;
        bool active = d < s.DIn;
        int dc = active ? d : 0;
        var h0 = LocalMemory.Allocate<float>(MaxN);
        var r = LocalMemory.Allocate<float>(MaxN);
        var dA = LocalMemory.Allocate<float>(MaxN);
        var hs = LocalMemory.Allocate<float>(ChunkStateFloats);
        for (int n = 0; n < s.N; n++)
        {
            long at = ChunkIndex(b, c, n, dc, s);
            h0[n] = active ? starts[at] : 0f;
            r[n] = active ? adjointStarts[at] : 0f;
            dA[n] = 0f;
        }
        int t0 = c * s.ChunkLength, t1 = Math.Min(s.Length, t0 + s.ChunkLength);

        for (int t = t0; t < t1; t++)
        {
            long row = Row(b, t, s);
            float dt = active ? x.Delta[row * s.DIn + dc] : 0f;
            float dtx = active ? dt * x.U[row * s.DIn + dc] : 0f;
            int k = (t - t0) * s.N;
            for (int n = 0; n < s.N; n++)
            {
                float previous = t == t0 ? h0[n] : hs[k - s.N + n];
                hs[k + n] = MathF.Exp(dt * x.A[(long)dc * s.N + n]) * previous + dtx * x.B[row * s.N + n];
            }
        }

        for (int t = t1 - 1; t >= t0; t--)
        {
            long row = Row(b, t, s);
            float dt = active ? x.Delta[row * s.DIn + dc] : 0f;
            float ut = active ? x.U[row * s.DIn + dc] : 0f;
            float g = active ? dy[row * s.DIn + dc] : 0f;
            float sumLambdaB = 0f, dDelta = 0f;
            int k = (t - t0) * s.N;
            for (int n = 0; n < s.N; n++)
            {
                float an = x.A[(long)dc * s.N + n];
                float a = MathF.Exp(dt * an);
                float previous = t == t0 ? h0[n] : hs[k - s.N + n];
                float bn = x.B[row * s.N + n];
                float lambda = g * x.C[row * s.N + n] + r[n];
                sumLambdaB += lambda * bn;
                dDelta += lambda * (an * a * previous + bn * ut);
                dA[n] += lambda * dt * a * previous;
                float dB = WarpSum(lambda * dt * ut);
                float dC = WarpSum(g * hs[k + n]);
                if (Warp.IsFirstLane)
                {
                    long at = (((long)b * s.Warps + d / Warp.WarpSize) * s.Length + t) * s.N + n;
                    grads.DBPerWarp[at] = dB;
                    grads.DCPerWarp[at] = dC;
                }
                r[n] = a * lambda;
            }
            if (active)
            {
                grads.DU[row * s.DIn + d] = dt * sumLambdaB;
                grads.DDelta[row * s.DIn + d] = dDelta;
            }
        }
        if (active)
            for (int n = 0; n < s.N; n++) grads.DAPerChunk[ChunkIndex(b, c, n, d, s)] = dA[n];
    }

    /// <summary>The sum over the warp's lanes, in its first lane (a fixed order: deterministic).</summary>
    private static float WarpSum(float value)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
            value += Warp.ShuffleDown(value, offset);
        return value;
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
    public ArrayView<float> DU, DDelta, DAPerChunk, DBPerWarp, DCPerWarp;
}
