using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Scan;

/// <summary>
/// The plain selective scan: TorchSharp ops, one time step after another, autograd for free.
/// A twin of mamba_ssm's selective_scan_ref; slow (O(l) op launches) and memory-hungry
/// (b x d_in x l x n intermediates), so it serves tests, tiny models and devices without a
/// fused kernel.
/// </summary>
public sealed class ReferenceSelectiveScan : ISelectiveScan
{
    public static readonly ReferenceSelectiveScan Instance = new();

    public string Name => "reference";

    public Tensor Forward(Tensor u, Tensor delta, Tensor A, Tensor B, Tensor C, Tensor D, Tensor? z, Tensor? lastState = null)
    {
        SelectiveScanShapes.Check(u, delta, A, B, C, D, z, lastState);
        using var scope = NewDisposeScope();
        long b = u.shape[0], dIn = u.shape[1], l = u.shape[2], n = A.shape[1];

        var deltaA = exp(einsum("bdl,dn->bldn", delta, A));            // (b, l, d_in, n)
        var deltaBu = einsum("bdl,bnl,bdl->bldn", delta, B, u);        // (b, l, d_in, n)
        var Ct = C.transpose(1, 2);                                    // (b, l, n)

        var h = zeros(new[] { b, dIn, n }, dtype: u.dtype, device: u.device);
        var ys = new Tensor[l];
        for (long t = 0; t < l; t++)
        {
            h = deltaA[.., (int)t] * h + deltaBu[.., (int)t];           // (b, d_in, n)
            ys[t] = einsum("bdn,bn->bd", h, Ct[.., (int)t]);            // (b, d_in)
        }

        var y = stack(ys, dim: 2) + u * D.unsqueeze(-1);                 // (b, d_in, l)
        if (z is not null) y = y * nn.functional.silu(z);
        if (lastState is not null)
        {
            using var _ = no_grad();
            lastState.copy_(h);
        }
        return y.MoveToOuterDisposeScope();
    }
}
