using ILGPU;

namespace Mamba.Training.Scan;

/// <summary>
/// Four floats a kernel thread holds in registers. ILGPU turns a struct that is never indexed by a
/// variable into separate registers, where a local array (LocalMemory.Allocate) stays in local
/// memory: the scan kernels' states used to, and were bound by L1 traffic to it (Nsight Compute: L1
/// throughput 97%). Read from a float view through <see cref="ArrayView{T}.Cast{TOther}"/>, a
/// Float4 is one 16-byte load.
/// </summary>
internal struct Float4
{
    public float X, Y, Z, W;

    public Float4(float x, float y, float z, float w) { X = x; Y = y; Z = z; W = w; }

    public static Float4 operator +(Float4 a, Float4 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z, a.W + b.W);
    public static Float4 operator *(Float4 a, Float4 b) => new(a.X * b.X, a.Y * b.Y, a.Z * b.Z, a.W * b.W);
    public static Float4 operator *(float s, Float4 a) => new(s * a.X, s * a.Y, s * a.Z, s * a.W);

    public static Float4 Exp(Float4 a) => new(MathF.Exp(a.X), MathF.Exp(a.Y), MathF.Exp(a.Z), MathF.Exp(a.W));

    public float Sum => X + Y + Z + W;
}

/// <summary>
/// Sixteen states of one channel (a slice of the state dimension), held in registers by one thread.
/// Every kernel works on slices: n is padded to a multiple of <see cref="Size"/> with zero A, B and C,
/// whose states stay exactly zero and add nothing.
/// </summary>
internal struct StateSlice
{
    public const int Size = 16;

    public Float4 S0, S1, S2, S3;

    /// <summary>Sixteen consecutive floats from <paramref name="at"/> (a multiple of 4, on a 16-byte aligned view).</summary>
    public static StateSlice Load(ArrayView<float> view, long at)
    {
        var v = view.Cast<Float4>();
        long q = at / 4;
        return new StateSlice { S0 = v[q], S1 = v[q + 1], S2 = v[q + 2], S3 = v[q + 3] };
    }

    public readonly void Store(ArrayView<float> view, long at)
    {
        var v = view.Cast<Float4>();
        long q = at / 4;
        v[q] = S0; v[q + 1] = S1; v[q + 2] = S2; v[q + 3] = S3;
    }

    /// <summary>Sixteen floats <paramref name="stride"/> apart (a chunk tensor's n axis, channels innermost).</summary>
    public static StateSlice LoadStrided(ArrayView<float> view, long at, long stride) => new()
    {
        S0 = new(view[at], view[at + stride], view[at + 2 * stride], view[at + 3 * stride]),
        S1 = new(view[at + 4 * stride], view[at + 5 * stride], view[at + 6 * stride], view[at + 7 * stride]),
        S2 = new(view[at + 8 * stride], view[at + 9 * stride], view[at + 10 * stride], view[at + 11 * stride]),
        S3 = new(view[at + 12 * stride], view[at + 13 * stride], view[at + 14 * stride], view[at + 15 * stride]),
    };

    public readonly void StoreStrided(ArrayView<float> view, long at, long stride)
    {
        view[at] = S0.X; view[at + stride] = S0.Y; view[at + 2 * stride] = S0.Z; view[at + 3 * stride] = S0.W;
        view[at + 4 * stride] = S1.X; view[at + 5 * stride] = S1.Y; view[at + 6 * stride] = S1.Z; view[at + 7 * stride] = S1.W;
        view[at + 8 * stride] = S2.X; view[at + 9 * stride] = S2.Y; view[at + 10 * stride] = S2.Z; view[at + 11 * stride] = S2.W;
        view[at + 12 * stride] = S3.X; view[at + 13 * stride] = S3.Y; view[at + 14 * stride] = S3.Z; view[at + 15 * stride] = S3.W;
    }

    public static StateSlice operator +(StateSlice a, StateSlice b) => new() { S0 = a.S0 + b.S0, S1 = a.S1 + b.S1, S2 = a.S2 + b.S2, S3 = a.S3 + b.S3 };
    public static StateSlice operator *(StateSlice a, StateSlice b) => new() { S0 = a.S0 * b.S0, S1 = a.S1 * b.S1, S2 = a.S2 * b.S2, S3 = a.S3 * b.S3 };
    public static StateSlice operator *(float s, StateSlice a) => new() { S0 = s * a.S0, S1 = s * a.S1, S2 = s * a.S2, S3 = s * a.S3 };

    /// <summary>exp(dt * a) for every state: the step's decay.</summary>
    public static StateSlice Decay(float dt, StateSlice a) => new()
    {
        S0 = Float4.Exp(dt * a.S0), S1 = Float4.Exp(dt * a.S1), S2 = Float4.Exp(dt * a.S2), S3 = Float4.Exp(dt * a.S3),
    };

    /// <summary>One step of the recurrence: h_t = exp(dt A) h_{t-1} + (dt u) B_t.</summary>
    public static StateSlice Advance(StateSlice previous, StateSlice a, float dt, float dtu, StateSlice b) =>
        Decay(dt, a) * previous + dtu * b;

    /// <summary>Σ a·b over the sixteen states.</summary>
    public static float Dot(StateSlice a, StateSlice b) => (a * b).Sum;

    public readonly float Sum => S0.Sum + S1.Sum + S2.Sum + S3.Sum;
}
