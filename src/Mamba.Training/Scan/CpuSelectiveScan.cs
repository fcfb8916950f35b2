using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Scan;

/// <summary>
/// The selective scan as fused C# loops on the CPU (<see cref="SelectiveScanKernel"/>), forward
/// and backward, wrapped as a TorchSharp custom autograd function. Float32 or float64 (every
/// operand the same dtype), CPU tensors only; views of any strides are accepted (copied to
/// contiguous where needed). Memory is linear in l: states are kept every
/// <see cref="SelectiveScanKernel.ChunkLength"/> steps, not b x d_in x l x n of them.
/// Twin: <see cref="ReferenceSelectiveScan"/>.
/// </summary>
public sealed class CpuSelectiveScan : ISelectiveScan
{
    public static readonly CpuSelectiveScan Instance = new();

    public string Name => "cpu-fused";

    public Tensor Forward(Tensor u, Tensor delta, Tensor A, Tensor B, Tensor C, Tensor D, Tensor? z, Tensor? lastState = null)
    {
        SelectiveScanShapes.Check(u, delta, A, B, C, D, z, lastState);
        CheckDevicesAndTypes(u, delta, A, B, C, D, z, lastState);

        bool needsGrad = is_grad_enabled() &&
            (u.requires_grad || delta.requires_grad || A.requires_grad || B.requires_grad ||
             C.requires_grad || D.requires_grad || (z?.requires_grad ?? false));
        using var scope = NewDisposeScope();
        Tensor y;
        if (needsGrad)
        {
            // The contiguous copies made inside forward are saved by the function's node (native
            // references), so this scope may dispose their managed handles once apply returns.
            y = SelectiveScanFunction.apply(u, delta, A, B, C, D, z, lastState);
        }
        else
        {
            var operands = ScanTensors.From(u, delta, A, B, C, D, z);
            y = operands.Forward(lastState, storeStates: false).Output;
        }
        return y.MoveToOuterDisposeScope();
    }

    private static void CheckDevicesAndTypes(Tensor u, Tensor delta, Tensor A, Tensor B, Tensor C, Tensor D, Tensor? z, Tensor? lastState)
    {
        if (u.dtype != ScalarType.Float32 && u.dtype != ScalarType.Float64)
            throw new ArgumentException($"cpu-fused selective scan: u must be float32 or float64, got {u.dtype}.");
        foreach (var (t, name) in new[] { (u, "u"), (delta, "delta"), (A, "A"), (B, "B"), (C, "C"), (D, "D"), (z, "z"), (lastState, "lastState") })
        {
            if (t is null) continue;
            if (t.device_type != DeviceType.CPU)
                throw new ArgumentException($"cpu-fused selective scan runs on the CPU only: {name} is on {t.device}. Use a GPU scan or move the tensors to the CPU.");
            if (name != "lastState" && t.dtype != u.dtype)
                throw new ArgumentException($"cpu-fused selective scan: every operand must have u's dtype {u.dtype}; {name} is {t.dtype}.");
        }
    }
}

/// <summary>The custom autograd function: forward and backward call the fused kernel.</summary>
internal sealed class SelectiveScanFunction : autograd.SingleTensorFunction<SelectiveScanFunction>
{
    public override string Name => "CpuSelectiveScan";

    /// <summary>vars: u, delta, A, B, C, D, z (or null), lastState (or null).</summary>
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var operands = ScanTensors.From((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3],
            (Tensor)vars[4], (Tensor)vars[5], vars[6] as Tensor);
        var (y, states) = operands.Forward(vars[7] as Tensor, storeStates: true);
        // Saved: the contiguous operands (Bt, Ct already transposed) and the chunk states.
        ctx.save_for_backward(new List<Tensor>
        {
            operands.U, operands.Delta, operands.A, operands.Bt, operands.Ct, operands.D, operands.Z!, states!,
        });
        return y;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var operands = new ScanTensors(saved[0], saved[1], saved[2], saved[3], saved[4], saved[5], saved[6]);
        var grads = operands.Backward(saved[7], grad_output);
        // One entry per forward argument: u, delta, A, B, C, D, z, lastState.
        return new List<Tensor>
        {
            grads.DU.MoveToOuterDisposeScope(), grads.DDelta.MoveToOuterDisposeScope(), grads.DA.MoveToOuterDisposeScope(),
            grads.DB.MoveToOuterDisposeScope(), grads.DC.MoveToOuterDisposeScope(), grads.DD.MoveToOuterDisposeScope(),
            grads.DZ?.MoveToOuterDisposeScope()!, null!,
        };
    }
}
