using static TorchSharp.torch;

namespace Mamba.Training.Scan;

/// <summary>Shape checks shared by every scan, so a wrong call fails with the names and sizes involved.</summary>
internal static class SelectiveScanShapes
{
    public static void Check(Tensor u, Tensor delta, Tensor A, Tensor B, Tensor C, Tensor D, Tensor? z, Tensor? lastState)
    {
        if (u.dim() != 3) throw new ArgumentException($"u must be (b, d_in, l), got {Shape(u)}.");
        long b = u.shape[0], dIn = u.shape[1], l = u.shape[2];
        if (A.dim() != 2 || A.shape[0] != dIn) throw new ArgumentException($"A must be (d_in={dIn}, n), got {Shape(A)}.");
        long n = A.shape[1];
        Expect(delta, "delta", b, dIn, l);
        Expect(B, "B", b, n, l);
        Expect(C, "C", b, n, l);
        if (D.dim() != 1 || D.shape[0] != dIn) throw new ArgumentException($"D must be (d_in={dIn}), got {Shape(D)}.");
        if (z is not null) Expect(z, "z", b, dIn, l);
        if (lastState is not null) Expect(lastState, "lastState", b, dIn, n);
    }

    private static void Expect(Tensor t, string name, long s0, long s1, long s2)
    {
        if (t.dim() != 3 || t.shape[0] != s0 || t.shape[1] != s1 || t.shape[2] != s2)
            throw new ArgumentException($"{name} must be ({s0}, {s1}, {s2}), got {Shape(t)}.");
    }

    private static string Shape(Tensor t) => "(" + string.Join(", ", t.shape) + ")";
}
