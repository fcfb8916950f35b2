using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Mamba.Training.Scan;

/// <summary>
/// Raw pointers to the contiguous operands of one selective scan, in the kernel's layout:
/// u, delta, z: (b, d_in, l); A: (d_in, n); Bt, Ct: (b, l, n) (B and C transposed, so that
/// B_t and C_t are contiguous n-vectors); D: (d_in). Z is null when there is no gate.
/// </summary>
internal readonly unsafe struct ScanOperands<T> where T : unmanaged
{
    public readonly T* U, Delta, A, Bt, Ct, D, Z;
    public readonly int Batch, DIn, Length, N;

    public ScanOperands(T* u, T* delta, T* a, T* bt, T* ct, T* d, T* z, int batch, int dIn, int length, int n)
    {
        U = u; Delta = delta; A = a; Bt = bt; Ct = ct; D = d; Z = z;
        Batch = batch; DIn = dIn; Length = length; N = n;
    }

    public int Channels => Batch * DIn;
    public int Chunks => (Length + SelectiveScanKernel.ChunkLength - 1) / SelectiveScanKernel.ChunkLength;
}

/// <summary>Where the backward kernel writes its gradients (all contiguous, fully overwritten).</summary>
internal readonly unsafe struct ScanGradients<T> where T : unmanaged
{
    /// <summary>du, ddelta, dz: (b, d_in, l); dz is null without a gate.</summary>
    public readonly T* DU, DDelta, DZ;
    /// <summary>dA and dD per (batch, channel), summed over the batch by the caller: (b, d_in, n) and (b, d_in).</summary>
    public readonly T* DAPerBatch, DDPerBatch;
    /// <summary>dB and dC per worker, (workers, b, l, n), summed over the workers by the caller; zeroed by the caller.</summary>
    public readonly T* DBtPerWorker, DCtPerWorker;

    public ScanGradients(T* du, T* dDelta, T* dz, T* dAPerBatch, T* dDPerBatch, T* dBtPerWorker, T* dCtPerWorker)
    {
        DU = du; DDelta = dDelta; DZ = dz; DAPerBatch = dAPerBatch; DDPerBatch = dDPerBatch;
        DBtPerWorker = dBtPerWorker; DCtPerWorker = dCtPerWorker;
    }
}

/// <summary>
/// The fused selective scan on the CPU: one pass over time per (batch, channel) pair, the state
/// h (n values) held in a small buffer, SIMD over n (the per-step loops written once over ScanLanes: Vector512, Vector256, scalar tail), Parallel.For over
/// groups of <see cref="GroupChannels"/> channels of one batch element, each group swept chunk by
/// chunk so that the chunk's B and C rows stay in L1. Float32 and float64 (the JIT compiles one specialised copy per type).
/// <code>
/// dA_t = exp(delta_t * A)                       (A &lt; 0: underflows to 0 for large delta, never overflows)
/// h_t  = dA_t * h_{t-1} + delta_t * B_t * u_t   (h_0 = 0)
/// y_t  = (C_t . h_t + D * u_t) * silu(z_t)
/// </code>
/// Memory: the forward keeps h only at the start of every <see cref="ChunkLength"/> steps
/// (b x d_in x ceil(l/64) x n values); the backward recomputes one chunk's states at a time into
/// a per-worker buffer and runs the reverse recurrence over it. No division anywhere, so no
/// overflow for any delta.
/// Where the time goes: n exponentials per step and channel (forward once, backward once more).
/// </summary>
internal static unsafe class SelectiveScanKernel
{
    /// <summary>Time steps between stored states; the backward recomputes this many at a time.</summary>
    public const int ChunkLength = 64;

    /// <summary>
    /// Channels of one batch element processed together, chunk by chunk, so that the chunk's rows of
    /// B, C (and dB, dC in the backward) stay in L1 across them instead of streaming l x n values
    /// through the cache once per channel. One group is one unit of parallel work.
    /// </summary>
    public const int GroupChannels = 8;

    /// <summary>Worker count for Parallel.For: the processor count, at most the number of work items.</summary>
    public static int Workers(int items) => Math.Max(1, Math.Min(Environment.ProcessorCount, items));

    /// <summary>Work items: (batch element, group of <see cref="GroupChannels"/> channels).</summary>
    public static int Groups(int batch, int dIn) => batch * ((dIn + GroupChannels - 1) / GroupChannels);

    /// <summary>
    /// Forward: writes y (b, d_in, l); when <paramref name="chunkStates"/> is not null, h at the start of
    /// every chunk, (b, d_in, chunks, n); when <paramref name="lastState"/> is not null, h_l, (b, d_in, n).
    /// </summary>
    public static void Forward<T>(in ScanOperands<T> x, T* y, T* chunkStates, T* lastState)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var ops = x;
        int groups = Groups(ops.Batch, ops.DIn);
        int next = 0;
        Parallel.For(0, Workers(groups), _ =>
        {
            var h = new T[GroupChannels * ops.N];
            fixed (T* hp = h)
            {
                int item;
                while ((item = Interlocked.Increment(ref next) - 1) < groups)
                    ForwardGroup(ops, item, hp, y, chunkStates, lastState);
            }
        });
    }

    private static void ForwardGroup<T>(in ScanOperands<T> x, int item, T* hGroup, T* yAll, T* chunkStates, T* lastState)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.N, l = x.Length, chunks = x.Chunks;
        var (bi, d0, d1) = GroupOf(x, item);
        T* bt = x.Bt + (long)bi * l * n, ct = x.Ct + (long)bi * l * n;
        new Span<T>(hGroup, (d1 - d0) * n).Clear();
        for (int k = 0; k < chunks; k++)
        {
            int t0 = k * ChunkLength, t1 = Math.Min(l, t0 + ChunkLength);
            for (int di = d0; di < d1; di++)
            {
                long c = (long)bi * x.DIn + di, row = c * l;
                T* h = hGroup + (long)(di - d0) * n;
                if (chunkStates != null) new Span<T>(h, n).CopyTo(new Span<T>(chunkStates + (c * chunks + k) * n, n));
                T* u = x.U + row, delta = x.Delta + row, y = yAll + row, z = x.Z == null ? null : x.Z + row;
                T* a = x.A + (long)di * n;
                T d = x.D[di];
                for (int t = t0; t < t1; t++)
                {
                    T dt = delta[t], ut = u[t];
                    T yt = Step(h, a, bt + (long)t * n, ct + (long)t * n, dt, dt * ut, n, null) + d * ut;
                    y[t] = z == null ? yt : yt * Silu(z[t]);
                }
            }
        }
        if (lastState != null)
            new Span<T>(hGroup, (d1 - d0) * n).CopyTo(new Span<T>(lastState + ((long)bi * x.DIn + d0) * n, (d1 - d0) * n));
    }

    /// <summary>Work item -> (batch element, first channel, end channel).</summary>
    private static (int Batch, int D0, int D1) GroupOf<T>(in ScanOperands<T> x, int item) where T : unmanaged
    {
        int perBatch = (x.DIn + GroupChannels - 1) / GroupChannels;
        int bi = item / perBatch, d0 = item % perBatch * GroupChannels;
        return (bi, d0, Math.Min(x.DIn, d0 + GroupChannels));
    }

    /// <summary>
    /// One step of the recurrence for one channel: h = exp(dt*A)*h + dtu*B (in place), returns C.h.
    /// When <paramref name="decay"/> is not null it receives exp(dt*A) (the backward reuses it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Step<T>(T* h, T* a, T* b, T* c, T dt, T dtu, int n, T* decay)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        T acc = StepLanes<ScanLanes512<T>, T>(ref i, h, a, b, c, dt, dtu, n, decay);
        acc += StepLanes<ScanLanes256<T>, T>(ref i, h, a, b, c, dt, dtu, n, decay);
        return acc + StepLanes<ScanLanes1<T>, T>(ref i, h, a, b, c, dt, dtu, n, decay);
    }

    /// <summary><see cref="Step{T}"/> over [i, n) in lanes of L while a whole L fits; advances i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T StepLanes<L, T>(ref int i, T* h, T* a, T* b, T* c, T dt, T dtu, int n, T* decay)
        where L : unmanaged, IScanLanes<L, T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!L.Usable(n - i)) return T.Zero;
        var dtV = L.Splat(dt);
        var dtuV = L.Splat(dtu);
        var acc = L.Zero;
        for (; i <= n - L.Count; i += L.Count)
        {
            var e = L.Exp(dtV * L.Load(a + i));
            var hv = L.Fma(e, L.Load(h + i), dtuV * L.Load(b + i));
            hv.Store(h + i);
            if (decay != null) e.Store(decay + i);
            acc = L.Fma(hv, L.Load(c + i), acc);
        }
        return L.Sum(acc);
    }

    /// <summary>
    /// Backward: from dy (b, d_in, l), the gradient of the (gated) output, writes every gradient of
    /// <paramref name="g"/>. <paramref name="chunkStates"/> is what <see cref="Forward{T}"/> stored.
    /// <paramref name="workers"/> must equal the first dimension of the per-worker dB/dC buffers.
    /// </summary>
    public static void Backward<T>(in ScanOperands<T> x, T* chunkStates, T* dy, in ScanGradients<T> g, int workers)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var ops = x;
        var grads = g;
        int groups = Groups(ops.Batch, ops.DIn);
        int next = 0;
        Parallel.For(0, workers, w =>
        {
            int n = ops.N;
            // Per-worker scratch: one chunk of one channel's states (h_{t0-1} .. h_{t1-1}), decays and
            // pre-gate outputs; per channel of the group, the carried dh and the dA sum.
            var hBuf = new T[(ChunkLength + 1) * n];
            var eBuf = new T[ChunkLength * n];
            var yBuf = new T[ChunkLength];
            var carry = new T[GroupChannels * n];
            var dA = new T[GroupChannels * n];
            var dD = new T[GroupChannels];
            long workerOffset = (long)w * ops.Batch * ops.Length * n;
            fixed (T* hp = hBuf, ep = eBuf, yp = yBuf, cp = carry, ap = dA, dp = dD)
            {
                int item;
                while ((item = Interlocked.Increment(ref next) - 1) < groups)
                    BackwardGroup(ops, item, chunkStates, dy, grads, workerOffset, hp, ep, yp, cp, ap, dp);
            }
        });
    }

    private static void BackwardGroup<T>(in ScanOperands<T> x, int item, T* chunkStates, T* dyAll, in ScanGradients<T> g,
        long workerOffset, T* hBuf, T* eBuf, T* yBuf, T* carryGroup, T* dAGroup, T* dDGroup)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.N, l = x.Length, chunks = x.Chunks;
        var (bi, d0, d1) = GroupOf(x, item);
        long batchRow = (long)bi * l * n;
        T* bt = x.Bt + batchRow, ct = x.Ct + batchRow;
        T* dBt = g.DBtPerWorker + workerOffset + batchRow, dCt = g.DCtPerWorker + workerOffset + batchRow;

        // carry = dA_{t+1} * dh_{t+1}, the part of dh_t that flows back from the next step.
        new Span<T>(carryGroup, (d1 - d0) * n).Clear();
        new Span<T>(dAGroup, (d1 - d0) * n).Clear();
        new Span<T>(dDGroup, d1 - d0).Clear();
        for (int k = chunks - 1; k >= 0; k--)
        {
            int t0 = k * ChunkLength, len = Math.Min(ChunkLength, l - t0);
            for (int di = d0; di < d1; di++)
            {
                long c = (long)bi * x.DIn + di, row = c * l;
                T* u = x.U + row, delta = x.Delta + row, dy = dyAll + row;
                T* z = x.Z == null ? null : x.Z + row;
                T* du = g.DU + row, dDelta = g.DDelta + row, dz = g.DZ == null ? null : g.DZ + row;
                T* a = x.A + (long)di * n;
                T* carry = carryGroup + (long)(di - d0) * n, dAAcc = dAGroup + (long)(di - d0) * n;
                T d = x.D[di], dD = dDGroup[di - d0];

                // Recompute the chunk: hBuf[j] = h_{t0+j-1}, eBuf[j] = exp(delta_t * A), yBuf[j] = C_t.h_t + D u_t.
                new Span<T>(chunkStates + (c * chunks + k) * n, n).CopyTo(new Span<T>(hBuf, n));
                for (int j = 0; j < len; j++)
                {
                    int t = t0 + j;
                    T* h = hBuf + (long)(j + 1) * n;
                    new Span<T>(h - n, n).CopyTo(new Span<T>(h, n));
                    T dt = delta[t];
                    yBuf[j] = Step(h, a, bt + (long)t * n, ct + (long)t * n, dt, dt * u[t], n, eBuf + (long)j * n) + d * u[t];
                }

                // Reverse recurrence over the chunk.
                for (int j = len - 1; j >= 0; j--)
                {
                    int t = t0 + j;
                    T dyt = dy[t], ut = u[t], dt = delta[t];
                    if (z != null)
                    {
                        // y = p * silu(z), silu(z) = z*s, silu'(z) = s*(1 + z*(1 - s)), s = sigmoid(z).
                        T zt = z[t], s = Sigmoid(zt);
                        dz[t] = dyt * yBuf[j] * s * (T.One + zt * (T.One - s));
                        dyt *= zt * s;
                    }
                    dD += dyt * ut;
                    ReverseStep(hBuf + (long)j * n, eBuf + (long)j * n, a, bt + (long)t * n, ct + (long)t * n,
                        dBt + (long)t * n, dCt + (long)t * n, carry, dAAcc, dyt, dt, dt * ut, n,
                        out T sumDhAeh, out T sumDhB);
                    dDelta[t] = sumDhAeh + ut * sumDhB;
                    du[t] = dt * sumDhB + d * dyt;
                }
                dDGroup[di - d0] = dD;
            }
        }

        long first = (long)bi * x.DIn + d0;
        new Span<T>(dAGroup, (d1 - d0) * n).CopyTo(new Span<T>(g.DAPerBatch + first * n, (d1 - d0) * n));
        new Span<T>(dDGroup, d1 - d0).CopyTo(new Span<T>(g.DDPerBatch + first, d1 - d0));
    }

    /// <summary>
    /// One reverse step for one channel, with hp = h_{t-1} (and hp + n = h_t), e = exp(dt*A):
    /// <code>
    /// dh = C_t * dy + carry;  dC_t += dy * h_t;  dB_t += dh * dt * u_t;  dA += dt * dh * e * h_{t-1};
    /// carry = e * dh;  sumDhAeh = sum(dh * A * e * h_{t-1});  sumDhB = sum(dh * B_t)
    /// </code>
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ReverseStep<T>(T* hp, T* e, T* a, T* b, T* c, T* dB, T* dC, T* carry, T* dA,
        T dy, T dt, T dtu, int n, out T sumDhAeh, out T sumDhB)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        T s1 = T.Zero, s2 = T.Zero;
        ReverseLanes<ScanLanes512<T>, T>(ref i, hp, e, a, b, c, dB, dC, carry, dA, dy, dt, dtu, n, ref s1, ref s2);
        ReverseLanes<ScanLanes256<T>, T>(ref i, hp, e, a, b, c, dB, dC, carry, dA, dy, dt, dtu, n, ref s1, ref s2);
        ReverseLanes<ScanLanes1<T>, T>(ref i, hp, e, a, b, c, dB, dC, carry, dA, dy, dt, dtu, n, ref s1, ref s2);
        sumDhAeh = s1;
        sumDhB = s2;
    }

    /// <summary><see cref="ReverseStep{T}"/> over [i, n) in lanes of L while a whole L fits; advances i, adds to the sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ReverseLanes<L, T>(ref int i, T* hp, T* e, T* a, T* b, T* c, T* dB, T* dC, T* carry, T* dA,
        T dy, T dt, T dtu, int n, ref T sumDhAeh, ref T sumDhB)
        where L : unmanaged, IScanLanes<L, T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!L.Usable(n - i)) return;
        T* h = hp + n;
        var dyV = L.Splat(dy);
        var dtV = L.Splat(dt);
        var dtuV = L.Splat(dtu);
        var s1 = L.Zero;
        var s2 = L.Zero;
        for (; i <= n - L.Count; i += L.Count)
        {
            var ev = L.Load(e + i);
            var dh = L.Fma(L.Load(c + i), dyV, L.Load(carry + i));
            L.Fma(dyV, L.Load(h + i), L.Load(dC + i)).Store(dC + i);
            L.Fma(dh, dtuV, L.Load(dB + i)).Store(dB + i);
            var w = dh * ev * L.Load(hp + i);
            L.Fma(dtV, w, L.Load(dA + i)).Store(dA + i);
            s1 = L.Fma(w, L.Load(a + i), s1);
            s2 = L.Fma(dh, L.Load(b + i), s2);
            (ev * dh).Store(carry + i);
        }
        sumDhAeh += L.Sum(s1);
        sumDhB += L.Sum(s2);
    }

    /// <summary>1 / (1 + exp(-x)): exp overflows to +inf for very negative x, giving 0, never NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sigmoid<T>(T x) where T : IFloatingPointIeee754<T> => T.One / (T.One + T.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Silu<T>(T x) where T : IFloatingPointIeee754<T> => x * Sigmoid(x);
}
