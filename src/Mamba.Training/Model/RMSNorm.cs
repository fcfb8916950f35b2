using Mamba.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Model;

/// <summary>
/// RMSNorm as in mamba_ssm: x * rsqrt(mean(x^2) + eps) * weight, weight initialised to 1.
/// The statistic is taken in float32 whatever the input dtype.
/// </summary>
public sealed class RMSNorm : nn.Module<Tensor, Tensor>
{
    private readonly double eps;
    private readonly TorchSharp.Modules.Parameter weight;

    public RMSNorm(long dim, double eps = MambaConfig.NormEpsilon) : base(nameof(RMSNorm))
    {
        this.eps = eps;
        weight = nn.Parameter(ones(dim));
        RegisterComponents();
    }

    /// <summary>Gives the weight to code that reads raw values (engines, tests).</summary>
    public Tensor Weight => weight;

    /// <param name="x">(..., d)</param>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var x32 = x.to_type(ScalarType.Float32);
        var normed = x32 * rsqrt(x32.pow(2).mean(new long[] { -1 }, keepdim: true) + eps);
        return (normed.to_type(x.dtype) * weight).MoveToOuterDisposeScope();
    }
}
