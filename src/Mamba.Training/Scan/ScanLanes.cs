using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Mamba.Training.Scan;

/// <summary>
/// A width of lanes of T (float or double) that <see cref="SelectiveScanKernel"/>'s per-step loops
/// are written over once: <see cref="ScanLanes512{T}"/>, <see cref="ScanLanes256{T}"/> and the scalar
/// tail <see cref="ScanLanes1{T}"/>. Unlike the engine's lanes these need not give the same bits at
/// every width (the training scan is checked against the float64 reference within a tolerance), so
/// the vector forms use the runtime's Exp and fused multiply-adds where the hardware has them, and
/// the scalar tail keeps T.Exp and unfused a*b + c, as it did.
/// </summary>
internal unsafe interface IScanLanes<TSelf, T> where TSelf : unmanaged, IScanLanes<TSelf, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract bool Usable(int remaining);
    static abstract int Count { get; }
    static abstract TSelf Zero { get; }
    static abstract TSelf Splat(T value);
    static abstract TSelf Load(T* source);
    void Store(T* destination);
    static abstract TSelf operator +(TSelf a, TSelf b);
    static abstract TSelf operator *(TSelf a, TSelf b);
    static abstract TSelf Fma(TSelf a, TSelf b, TSelf c);
    static abstract TSelf Exp(TSelf x);
    static abstract T Sum(TSelf x);
}

internal readonly unsafe struct ScanLanes1<T>(T value) : IScanLanes<ScanLanes1<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T value = value;
    public static bool Usable(int remaining) => remaining >= 1;
    public static int Count => 1;
    public static ScanLanes1<T> Zero => new(T.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ScanLanes1<T> Splat(T value) => new(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ScanLanes1<T> Load(T* source) => new(*source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(T* destination) => *destination = value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ScanLanes1<T> operator +(ScanLanes1<T> a, ScanLanes1<T> b) => new(a.value + b.value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ScanLanes1<T> operator *(ScanLanes1<T> a, ScanLanes1<T> b) => new(a.value * b.value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ScanLanes1<T> Fma(ScanLanes1<T> a, ScanLanes1<T> b, ScanLanes1<T> c) => new(a.value * b.value + c.value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ScanLanes1<T> Exp(ScanLanes1<T> x) => new(T.Exp(x.value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(ScanLanes1<T> x) => x.value;
}

internal readonly unsafe struct ScanLanes256<T>(Vector256<T> value) : IScanLanes<ScanLanes256<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector256<T> value = value;
    public static bool Usable(int remaining) => Vector256.IsHardwareAccelerated && remaining >= Vector256<T>.Count;
    public static int Count => Vector256<T>.Count;
    public static ScanLanes256<T> Zero => new(Vector256<T>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ScanLanes256<T> Splat(T value) => new(Vector256.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ScanLanes256<T> Load(T* source) => new(Vector256.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(T* destination) => value.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ScanLanes256<T> operator +(ScanLanes256<T> a, ScanLanes256<T> b) => new(a.value + b.value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ScanLanes256<T> operator *(ScanLanes256<T> a, ScanLanes256<T> b) => new(a.value * b.value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(ScanLanes256<T> x) => Vector256.Sum(x.value);

    /// <summary>a * b + c, fused where the hardware has FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScanLanes256<T> Fma(ScanLanes256<T> a, ScanLanes256<T> b, ScanLanes256<T> c)
    {
        if (typeof(T) == typeof(float)) return new(Vector256.MultiplyAddEstimate(a.value.AsSingle(), b.value.AsSingle(), c.value.AsSingle()).As<float, T>());
        if (typeof(T) == typeof(double)) return new(Vector256.MultiplyAddEstimate(a.value.AsDouble(), b.value.AsDouble(), c.value.AsDouble()).As<double, T>());
        return new(a.value * b.value + c.value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScanLanes256<T> Exp(ScanLanes256<T> x)
    {
        if (typeof(T) == typeof(float)) return new(Vector256.Exp(x.value.AsSingle()).As<float, T>());
        if (typeof(T) == typeof(double)) return new(Vector256.Exp(x.value.AsDouble()).As<double, T>());
        throw new NotSupportedException($"Selective scan kernel: {typeof(T).Name} is not supported.");
    }
}

internal readonly unsafe struct ScanLanes512<T>(Vector512<T> value) : IScanLanes<ScanLanes512<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector512<T> value = value;
    public static bool Usable(int remaining) => Vector512.IsHardwareAccelerated && remaining >= Vector512<T>.Count;
    public static int Count => Vector512<T>.Count;
    public static ScanLanes512<T> Zero => new(Vector512<T>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ScanLanes512<T> Splat(T value) => new(Vector512.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ScanLanes512<T> Load(T* source) => new(Vector512.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(T* destination) => value.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ScanLanes512<T> operator +(ScanLanes512<T> a, ScanLanes512<T> b) => new(a.value + b.value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static ScanLanes512<T> operator *(ScanLanes512<T> a, ScanLanes512<T> b) => new(a.value * b.value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(ScanLanes512<T> x) => Vector512.Sum(x.value);

    /// <summary>a * b + c, fused where the hardware has FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScanLanes512<T> Fma(ScanLanes512<T> a, ScanLanes512<T> b, ScanLanes512<T> c)
    {
        if (typeof(T) == typeof(float)) return new(Vector512.MultiplyAddEstimate(a.value.AsSingle(), b.value.AsSingle(), c.value.AsSingle()).As<float, T>());
        if (typeof(T) == typeof(double)) return new(Vector512.MultiplyAddEstimate(a.value.AsDouble(), b.value.AsDouble(), c.value.AsDouble()).As<double, T>());
        return new(a.value * b.value + c.value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ScanLanes512<T> Exp(ScanLanes512<T> x)
    {
        if (typeof(T) == typeof(float)) return new(Vector512.Exp(x.value.AsSingle()).As<float, T>());
        if (typeof(T) == typeof(double)) return new(Vector512.Exp(x.value.AsDouble()).As<double, T>());
        throw new NotSupportedException($"Selective scan kernel: {typeof(T).Name} is not supported.");
    }
}
