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
/// h (n values) held in a small buffer, SIMD over n (Vector256, scalar tail), Parallel.For over
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
        T acc = T.Zero;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<T>.Count)
        {
            var dtV = Vector512.Create(dt);
            var dtuV = Vector512.Create(dtu);
            var accV = Vector512<T>.Zero;
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var e = Exp(dtV * Vector512.Load(a + i));
                var hv = Fma(e, Vector512.Load(h + i), dtuV * Vector512.Load(b + i));
                hv.Store(h + i);
                if (decay != null) e.Store(decay + i);
                accV = Fma(hv, Vector512.Load(c + i), accV);
            }
            acc = Vector512.Sum(accV);
        }
        if (Vector256.IsHardwareAccelerated && n - i >= Vector256<T>.Count)
        {
            var dtV = Vector256.Create(dt);
            var dtuV = Vector256.Create(dtu);
            var accV = Vector256<T>.Zero;
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var e = Exp(dtV * Vector256.Load(a + i));
                var hv = Fma(e, Vector256.Load(h + i), dtuV * Vector256.Load(b + i));
                hv.Store(h + i);
                if (decay != null) e.Store(decay + i);
                accV = Fma(hv, Vector256.Load(c + i), accV);
            }
            acc += Vector256.Sum(accV);
        }
        for (; i < n; i++)
        {
            T e = T.Exp(dt * a[i]);
            T hv = e * h[i] + dtu * b[i];
            h[i] = hv;
            if (decay != null) decay[i] = e;
            acc += hv * c[i];
        }
        return acc;
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
        T* h = hp + n;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<T>.Count)
        {
            var dyV = Vector512.Create(dy);
            var dtV = Vector512.Create(dt);
            var dtuV = Vector512.Create(dtu);
            var s1V = Vector512<T>.Zero;
            var s2V = Vector512<T>.Zero;
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var ev = Vector512.Load(e + i);
                var dh = Fma(Vector512.Load(c + i), dyV, Vector512.Load(carry + i));
                Fma(dyV, Vector512.Load(h + i), Vector512.Load(dC + i)).Store(dC + i);
                Fma(dh, dtuV, Vector512.Load(dB + i)).Store(dB + i);
                var w = dh * ev * Vector512.Load(hp + i);
                Fma(dtV, w, Vector512.Load(dA + i)).Store(dA + i);
                s1V = Fma(w, Vector512.Load(a + i), s1V);
                s2V = Fma(dh, Vector512.Load(b + i), s2V);
                (ev * dh).Store(carry + i);
            }
            s1 = Vector512.Sum(s1V);
            s2 = Vector512.Sum(s2V);
        }
        if (Vector256.IsHardwareAccelerated && n - i >= Vector256<T>.Count)
        {
            var dyV = Vector256.Create(dy);
            var dtV = Vector256.Create(dt);
            var dtuV = Vector256.Create(dtu);
            var s1V = Vector256<T>.Zero;
            var s2V = Vector256<T>.Zero;
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var ev = Vector256.Load(e + i);
                var dh = Fma(Vector256.Load(c + i), dyV, Vector256.Load(carry + i));
                Fma(dyV, Vector256.Load(h + i), Vector256.Load(dC + i)).Store(dC + i);
                Fma(dh, dtuV, Vector256.Load(dB + i)).Store(dB + i);
                var w = dh * ev * Vector256.Load(hp + i);
                Fma(dtV, w, Vector256.Load(dA + i)).Store(dA + i);
                s1V = Fma(w, Vector256.Load(a + i), s1V);
                s2V = Fma(dh, Vector256.Load(b + i), s2V);
                (ev * dh).Store(carry + i);
            }
            s1 += Vector256.Sum(s1V);
            s2 += Vector256.Sum(s2V);
        }
        for (; i < n; i++)
        {
            T dh = c[i] * dy + carry[i];
            dC[i] += dy * h[i];
            dB[i] += dh * dtu;
            T w = dh * e[i] * hp[i];
            dA[i] += dt * w;
            s1 += w * a[i];
            s2 += dh * b[i];
            carry[i] = e[i] * dh;
        }
        sumDhAeh = s1;
        sumDhB = s2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Exp<T>(Vector256<T> v)
    {
        if (typeof(T) == typeof(float)) return Vector256.Exp(v.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector256.Exp(v.AsDouble()).As<double, T>();
        throw new NotSupportedException($"Selective scan kernel: {typeof(T).Name} is not supported.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Exp<T>(Vector512<T> v)
    {
        if (typeof(T) == typeof(float)) return Vector512.Exp(v.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.Exp(v.AsDouble()).As<double, T>();
        throw new NotSupportedException($"Selective scan kernel: {typeof(T).Name} is not supported.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float))
            return Vector512.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector512.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }

    /// <summary>a * b + c, fused where the hardware has FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (typeof(T) == typeof(float))
            return Vector256.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector256.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }

    /// <summary>1 / (1 + exp(-x)): exp overflows to +inf for very negative x, giving 0, never NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sigmoid<T>(T x) where T : IFloatingPointIeee754<T> => T.One / (T.One + T.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Silu<T>(T x) where T : IFloatingPointIeee754<T> => x * Sigmoid(x);
}
