using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mamba.Core.Engines.Cpu;

/// <summary>
/// A width of float lanes the CPU kernels are written over once: <see cref="Lanes1"/> (scalar),
/// <see cref="Lanes8"/> (Vector256) and <see cref="Lanes16"/> (Vector512). Every operation is the
/// same IEEE operation lane for lane at every width (fused multiply-adds are exactly rounded in
/// all three), so a kernel gives the same bits whichever width runs it. Generic code over these
/// structs is specialised by the JIT per width, as hand-written copies would be.
/// (System.Runtime.Intrinsics.ISimdVector plays this part inside the runtime but is not public.)
/// </summary>
public unsafe interface IFloatLanes<TSelf> where TSelf : unmanaged, IFloatLanes<TSelf>
{
    /// <summary>Lanes per value.</summary>
    static abstract int Count { get; }
    static abstract TSelf Zero { get; }
    static abstract TSelf One { get; }
    static abstract TSelf Splat(float value);
    static abstract TSelf Load(float* source);
    void Store(float* destination);

    static abstract TSelf operator +(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a);
    static abstract TSelf operator *(TSelf a, TSelf b);
    static abstract TSelf operator /(TSelf a, TSelf b);

    /// <summary>a * b + c, rounded once.</summary>
    static abstract TSelf Fma(TSelf a, TSelf b, TSelf c);
    static abstract TSelf Abs(TSelf a);
    static abstract TSelf Floor(TSelf a);

    /// <summary>
    /// min(max(x, lo), hi) for non-zero, non-NaN bounds, NaN staying NaN. The vector forms use the
    /// native min/max instructions with the bound first (they return the second operand when one is
    /// NaN), which equals IEEE min/max for such bounds: through generic lanes the JIT no longer sees
    /// the bounds as constants and would emit IEEE fix-up sequences instead (SsmStep measured 25%
    /// slower that way).
    /// </summary>
    static abstract TSelf Clamp(TSelf x, float lo, float hi);

    /// <summary>max(x, lo) for a non-zero, non-NaN bound, NaN staying NaN: the lower half of <see cref="Clamp"/>, the same instruction.</summary>
    static abstract TSelf AtLeast(TSelf x, float lo);

    /// <summary>
    /// max(x, 0) as softplus uses it. The vector forms use the native instruction with 0 second: -0
    /// gives +0 as IEEE max does; NaN gives 0 where IEEE gives NaN, which softplus turns back into
    /// NaN (its log term is NaN), so softplus has the same bits at every width.
    /// </summary>
    static abstract TSelf MaxZero(TSelf x);

    /// <summary>
    /// 2^k for k an integral float in [-126, 127]: the exponent bits set directly. The vector forms
    /// convert with the native instruction: the saturating ConvertToInt32 adds a fix-up, a compare
    /// and a blend for NaN and out-of-range lanes, which k never is (three instructions and a move of the SSM's inner loop of 43).
    /// </summary>
    static abstract TSelf Pow2(TSelf k);

    /// <summary>
    /// p * 2^k for k as in <see cref="Pow2"/>, rounded once: with AVX-512 one vscalefps, which
    /// rounds the same exact product as p * Pow2(k) does (denormal results included), for three
    /// instructions less.
    /// </summary>
    static abstract TSelf TimesPow2(TSelf p, TSelf k);
}

/// <summary>One lane: the scalar twin of every kernel.</summary>
public readonly unsafe struct Lanes1(float value) : IFloatLanes<Lanes1>
{
    public readonly float Value = value;

    public static int Count => 1;
    public static Lanes1 Zero => new(0f);
    public static Lanes1 One => new(1f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 Splat(float value) => new(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 Load(float* source) => new(*source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(float* destination) => *destination = Value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 operator +(Lanes1 a, Lanes1 b) => new(a.Value + b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 operator -(Lanes1 a) => new(-a.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 operator *(Lanes1 a, Lanes1 b) => new(a.Value * b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 operator /(Lanes1 a, Lanes1 b) => new(a.Value / b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 Fma(Lanes1 a, Lanes1 b, Lanes1 c) => new(MathF.FusedMultiplyAdd(a.Value, b.Value, c.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 Abs(Lanes1 a) => new(MathF.Abs(a.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 Floor(Lanes1 a) => new(MathF.Floor(a.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 Clamp(Lanes1 x, float lo, float hi) => new(MathF.Min(AtLeast(x, lo).Value, hi));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 AtLeast(Lanes1 x, float lo) => new(MathF.Max(x.Value, lo));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 MaxZero(Lanes1 x) => new(MathF.Max(x.Value, 0f));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 Pow2(Lanes1 k) => new(BitConverter.Int32BitsToSingle(((int)k.Value + 127) << 23));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 TimesPow2(Lanes1 p, Lanes1 k) => p * Pow2(k);
}

/// <summary>Eight lanes: Vector256.</summary>
public readonly unsafe struct Lanes8(Vector256<float> value) : IFloatLanes<Lanes8>
{
    public readonly Vector256<float> Value = value;

    public static int Count => 8;
    public static Lanes8 Zero => new(Vector256<float>.Zero);
    public static Lanes8 One => new(Vector256<float>.One);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 Splat(float value) => new(Vector256.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 Load(float* source) => new(Vector256.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(float* destination) => Value.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 operator +(Lanes8 a, Lanes8 b) => new(a.Value + b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 operator -(Lanes8 a) => new(-a.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 operator *(Lanes8 a, Lanes8 b) => new(a.Value * b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 operator /(Lanes8 a, Lanes8 b) => new(a.Value / b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 Fma(Lanes8 a, Lanes8 b, Lanes8 c) => new(Vector256.FusedMultiplyAdd(a.Value, b.Value, c.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 Abs(Lanes8 a) => new(Vector256.Abs(a.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 Floor(Lanes8 a) => new(Vector256.Floor(a.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 Clamp(Lanes8 x, float lo, float hi) => new(Vector256.MinNative(Vector256.Create(hi), AtLeast(x, lo).Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 AtLeast(Lanes8 x, float lo) => new(Vector256.MaxNative(Vector256.Create(lo), x.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 MaxZero(Lanes8 x) => new(Vector256.MaxNative(x.Value, Vector256<float>.Zero));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 Pow2(Lanes8 k) => new(Vector256.ShiftLeft(Vector256.ConvertToInt32Native(k.Value) + Vector256.Create(127), 23).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 TimesPow2(Lanes8 p, Lanes8 k) => Avx512F.VL.IsSupported ? new(Avx512F.VL.Scale(p.Value, k.Value)) : p * Pow2(k);
}

/// <summary>Sixteen lanes: Vector512.</summary>
public readonly unsafe struct Lanes16(Vector512<float> value) : IFloatLanes<Lanes16>
{
    public readonly Vector512<float> Value = value;

    public static int Count => 16;
    public static Lanes16 Zero => new(Vector512<float>.Zero);
    public static Lanes16 One => new(Vector512<float>.One);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 Splat(float value) => new(Vector512.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 Load(float* source) => new(Vector512.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(float* destination) => Value.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 operator +(Lanes16 a, Lanes16 b) => new(a.Value + b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 operator -(Lanes16 a) => new(-a.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 operator *(Lanes16 a, Lanes16 b) => new(a.Value * b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 operator /(Lanes16 a, Lanes16 b) => new(a.Value / b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 Fma(Lanes16 a, Lanes16 b, Lanes16 c) => new(Vector512.FusedMultiplyAdd(a.Value, b.Value, c.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 Abs(Lanes16 a) => new(Vector512.Abs(a.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 Floor(Lanes16 a) => new(Vector512.Floor(a.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 Clamp(Lanes16 x, float lo, float hi) => new(Vector512.MinNative(Vector512.Create(hi), AtLeast(x, lo).Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 AtLeast(Lanes16 x, float lo) => new(Vector512.MaxNative(Vector512.Create(lo), x.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 MaxZero(Lanes16 x) => new(Vector512.MaxNative(x.Value, Vector512<float>.Zero));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 Pow2(Lanes16 k) => new(Vector512.ShiftLeft(Vector512.ConvertToInt32Native(k.Value) + Vector512.Create(127), 23).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes16 TimesPow2(Lanes16 p, Lanes16 k) => Avx512F.IsSupported ? new(Avx512F.Scale(p.Value, k.Value)) : p * Pow2(k);
}
