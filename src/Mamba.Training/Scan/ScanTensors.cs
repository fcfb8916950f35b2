using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Scan;

/// <summary>
/// The operands of the CPU scan as contiguous tensors in the kernel's layout, and the calls that
/// hand their pointers to <see cref="SelectiveScanKernel"/> for the tensors' dtype (float32 or float64).
/// u, delta, z: (b, d_in, l); A: (d_in, n); Bt, Ct: (b, l, n); D: (d_in).
/// Tensors made here belong to the caller's dispose scope.
/// </summary>
internal sealed class ScanTensors
{
    public readonly Tensor U, Delta, A, Bt, Ct, D;
    public readonly Tensor? Z;

    public ScanTensors(Tensor u, Tensor delta, Tensor a, Tensor bt, Tensor ct, Tensor d, Tensor? z)
    {
        U = u; Delta = delta; A = a; Bt = bt; Ct = ct; D = d; Z = z;
    }

    /// <summary>From the interface's layout: B, C (b, n, l) become (b, l, n); every operand contiguous.</summary>
    public static ScanTensors From(Tensor u, Tensor delta, Tensor A, Tensor B, Tensor C, Tensor D, Tensor? z) =>
        new(u.contiguous(), delta.contiguous(), A.contiguous(), B.transpose(1, 2).contiguous(),
            C.transpose(1, 2).contiguous(), D.contiguous(), z?.contiguous());

    private int Batch => (int)U.shape[0];
    private int DIn => (int)U.shape[1];
    private int Length => (int)U.shape[2];
    private int N => (int)A.shape[1];
    private int Chunks => (Length + SelectiveScanKernel.ChunkLength - 1) / SelectiveScanKernel.ChunkLength;

    /// <summary>
    /// y (b, d_in, l); with <paramref name="storeStates"/>, h at every chunk start (b, d_in, chunks, n)
    /// for the backward. <paramref name="lastState"/>, when given, receives h_l (any float dtype, any strides).
    /// </summary>
    public (Tensor Output, Tensor? States) Forward(Tensor? lastState, bool storeStates)
    {
        var y = empty_like(U);
        var states = storeStates ? empty(new long[] { Batch, DIn, Chunks, N }, U.dtype) : null;
        bool lastDirect = lastState is not null && lastState.dtype == U.dtype && lastState.is_contiguous();
        var last = lastState is null ? null : lastDirect ? lastState : empty(new long[] { Batch, DIn, N }, U.dtype);
        if (U.numel() == 0 || N == 0)
        {
            y.copy_(U * D.unsqueeze(-1) * (Z is null ? ones_like(U) : nn.functional.silu(Z)));
            last?.zero_();
        }
        else if (U.dtype == ScalarType.Float32) RunForward<float>(y, states, last);
        else RunForward<double>(y, states, last);
        if (lastState is not null && !lastDirect)
        {
            using var _ = no_grad();
            lastState.copy_(last!);
        }
        return (y, states);
    }

    private unsafe void RunForward<T>(Tensor y, Tensor? states, Tensor? last) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var ops = Operands<T>();
        SelectiveScanKernel.Forward(ops, Ptr<T>(y), Ptr<T>(states), Ptr<T>(last));
    }

    /// <summary>Gradients in the interface's layout: u, delta, z (b, d_in, l); A (d_in, n); B, C (b, n, l); D (d_in).</summary>
    public sealed record Gradients(Tensor DU, Tensor DDelta, Tensor DA, Tensor DB, Tensor DC, Tensor DD, Tensor? DZ);

    /// <summary>Gradients of every operand from dy, the gradient of the output, and the states Forward stored.</summary>
    public Gradients Backward(Tensor states, Tensor dy)
    {
        dy = dy.to(U.dtype).contiguous();
        var du = empty_like(U);
        var dDelta = empty_like(U);
        var dz = Z is null ? null : empty_like(U);
        var dAPerBatch = zeros(new long[] { Batch, DIn, N }, U.dtype);
        var dDPerBatch = zeros(new long[] { Batch, DIn }, U.dtype);
        // dB and dC are sums over d_in: each worker accumulates its own copy, summed below. The
        // worker count is capped so that these copies take at most about 2 * n / 16 times the size of u.
        int workers = Math.Min(SelectiveScanKernel.Workers(SelectiveScanKernel.Groups(Batch, DIn)), Math.Max(1, DIn / 16));
        var dBtPerWorker = zeros(new long[] { workers, Batch, Length, N }, U.dtype);
        var dCtPerWorker = zeros(new long[] { workers, Batch, Length, N }, U.dtype);
        if (U.numel() == 0 || N == 0)
        {
            // Nothing to scan: only the skip term D*u (and the gate) carry gradient.
            var gate = Z is null ? ones_like(U) : nn.functional.silu(Z);
            du.copy_(dy * gate * D.unsqueeze(-1));
            dDelta.zero_();
            dDPerBatch.copy_((dy * gate * U).sum(-1));
            if (dz is not null)
            {
                var s = sigmoid(Z!);
                dz.copy_(dy * U * D.unsqueeze(-1) * s * (1 + Z! * (1 - s)));
            }
        }
        else if (U.dtype == ScalarType.Float32) RunBackward<float>(states, dy, du, dDelta, dz, dAPerBatch, dDPerBatch, dBtPerWorker, dCtPerWorker, workers);
        else RunBackward<double>(states, dy, du, dDelta, dz, dAPerBatch, dDPerBatch, dBtPerWorker, dCtPerWorker, workers);

        // NOTE: sum(dim: 0L), not sum(0): a literal 0 converts to the ScalarType? overload (sum all, as Byte).
        return new Gradients(du, dDelta, dAPerBatch.sum(dim: 0L),
            dBtPerWorker.sum(dim: 0L).transpose(1, 2).contiguous(),   // (b, l, n) -> (b, n, l)
            dCtPerWorker.sum(dim: 0L).transpose(1, 2).contiguous(),
            dDPerBatch.sum(dim: 0L), dz);
    }

    private unsafe void RunBackward<T>(Tensor states, Tensor dy, Tensor du, Tensor dDelta, Tensor? dz, Tensor dAPerBatch,
        Tensor dDPerBatch, Tensor dBtPerWorker, Tensor dCtPerWorker, int workers) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var ops = Operands<T>();
        var grads = new ScanGradients<T>(Ptr<T>(du), Ptr<T>(dDelta), Ptr<T>(dz), Ptr<T>(dAPerBatch), Ptr<T>(dDPerBatch),
            Ptr<T>(dBtPerWorker), Ptr<T>(dCtPerWorker));
        SelectiveScanKernel.Backward(ops, Ptr<T>(states), Ptr<T>(dy), grads, workers);
    }

    private unsafe ScanOperands<T> Operands<T>() where T : unmanaged =>
        new(Ptr<T>(U), Ptr<T>(Delta), Ptr<T>(A), Ptr<T>(Bt), Ptr<T>(Ct), Ptr<T>(D), Ptr<T>(Z), Batch, DIn, Length, N);

    /// <summary>The first element of a contiguous tensor (storage offset included), or null.</summary>
    private static unsafe T* Ptr<T>(Tensor? t) where T : unmanaged
    {
        if (t is null) return null;
        if (!t.is_contiguous()) throw new InvalidOperationException("Selective scan kernel: operand is not contiguous.");
        // TorchSharp 0.107 has no Tensor.data_ptr(): the storage's pointer plus the view's offset.
        var storage = t.storage<T>();
        return (T*)storage.data_ptr() + t.storage_offset();
    }
}
