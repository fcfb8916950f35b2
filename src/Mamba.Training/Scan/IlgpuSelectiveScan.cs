using Mamba.Training.Gpu;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Scan;

/// <summary>
/// The selective scan as fused ILGPU kernels (<see cref="ChunkedScanKernels"/>), forward and
/// backward, wrapped as a TorchSharp custom autograd function: the GPU training scan. On CUDA
/// tensors it runs on the GPU; on CPU tensors it runs the same kernels on ILGPU's CPU accelerator
/// (slow; that is how tests check the kernels without a GPU). Float32; n at most
/// <see cref="ChunkedScanKernels.MaxN"/>. The skip term D*u and the gate silu(z) are plain torch
/// ops around the kernels. Twin: <see cref="ReferenceSelectiveScan"/>.
/// </summary>
public sealed class IlgpuSelectiveScan : ISelectiveScan
{
    public static readonly IlgpuSelectiveScan Instance = new();

    public string Name => "ilgpu";

    public Tensor Forward(Tensor u, Tensor delta, Tensor A, Tensor B, Tensor C, Tensor D, Tensor? z, Tensor? lastState = null)
    {
        SelectiveScanShapes.Check(u, delta, A, B, C, D, z, lastState);
        CheckOperands(u, delta, A, B, C, D, z);
        using var scope = NewDisposeScope();
        Tensor y;
        if (u.numel() == 0 || A.shape[1] == 0)
        {
            y = zeros_like(u);
            if (lastState is not null)
                using (no_grad()) lastState.zero_();
        }
        else
        {
            // The kernels' layout: channels last, so that a warp's lanes read neighbouring addresses.
            var uT = u.transpose(1, 2).contiguous();
            var deltaT = delta.transpose(1, 2).contiguous();
            var BT = B.transpose(1, 2).contiguous();
            var CT = C.transpose(1, 2).contiguous();
            var a = A.contiguous();
            bool needsGrad = is_grad_enabled() &&
                (u.requires_grad || delta.requires_grad || A.requires_grad || B.requires_grad || C.requires_grad);
            var yT = needsGrad
                ? IlgpuScanFunction.apply(uT, deltaT, a, BT, CT, lastState)
                : new ChunkedScanLaunch(uT, deltaT, a, BT, CT).Forward(lastState).Y;
            y = yT.transpose(1, 2);
        }
        y = y + u * D.unsqueeze(-1);
        if (z is not null) y = y * nn.functional.silu(z);
        return y.MoveToOuterDisposeScope();
    }

    private static void CheckOperands(Tensor u, Tensor delta, Tensor A, Tensor B, Tensor C, Tensor D, Tensor? z)
    {
        foreach (var (t, name) in new[] { (u, "u"), (delta, "delta"), (A, "A"), (B, "B"), (C, "C"), (D, "D"), (z, "z") })
        {
            if (t is null) continue;
            if (t.dtype != ScalarType.Float32)
                throw new ArgumentException($"ilgpu selective scan: every operand must be float32; {name} is {t.dtype}.");
            if (t.device_type != u.device_type || t.device_index != u.device_index)
                throw new ArgumentException($"ilgpu selective scan: every operand must be on {u.device}; {name} is on {t.device}.");
        }
        if (A.shape[1] > ChunkedScanKernels.MaxN)
            throw new ArgumentException($"ilgpu selective scan: n = {A.shape[1]} is larger than the kernels take ({ChunkedScanKernels.MaxN}); use the reference scan.");
    }
}

/// <summary>The custom autograd function: forward and backward launch the chunked kernels.</summary>
internal sealed class IlgpuScanFunction : autograd.SingleTensorFunction<IlgpuScanFunction>
{
    public override string Name => "IlgpuSelectiveScan";

    /// <summary>vars (kernel layout, contiguous): u (b, l, d_in), delta (b, l, d_in), A (d_in, n), B, C (b, l, n), lastState (b, d_in, n) or null.</summary>
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (u, delta, A, B, C) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], (Tensor)vars[4]);
        var (y, starts, deltaSums) = new ChunkedScanLaunch(u, delta, A, B, C).Forward(vars[5] as Tensor);
        ctx.save_for_backward(new List<Tensor> { u, delta, A, B, C, starts, deltaSums });
        return y;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        using var scope = NewDisposeScope();
        var s = ctx.get_saved_variables();
        var dy = grad_output.to(ScalarType.Float32).contiguous();
        var (du, dDelta, dA, dB, dC) = new ChunkedScanLaunch(s[0], s[1], s[2], s[3], s[4]).Backward(dy, s[5], s[6]);
        // One entry per forward argument: u, delta, A, B, C, lastState.
        return BackwardHandOff.Return(grad_output, new List<Tensor>
        {
            du.MoveToOuterDisposeScope(), dDelta.MoveToOuterDisposeScope(), dA.MoveToOuterDisposeScope(),
            dB.MoveToOuterDisposeScope(), dC.MoveToOuterDisposeScope(), null!,
        });
    }
}
