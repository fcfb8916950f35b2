using Mamba.Core.Model;
using Mamba.Training.Recurrent;
using static TorchSharp.torch;

namespace Mamba.Training.Model;

/// <summary>
/// A residual block (mamba_ssm's Block with fused_add_norm): residual + mixer(norm(residual)).
/// The residual stream stays float32.
/// </summary>
public sealed class MambaBlock : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // names follow mamba_ssm's checkpoint keys
    private readonly RMSNorm norm;
    private readonly MambaMixer mixer;
#pragma warning restore IDE1006

    public MambaBlock(MambaConfig config, Generator? generator = null) : base(nameof(MambaBlock))
    {
        norm = new RMSNorm(config.DModel);
        mixer = new MambaMixer(config, generator);
        RegisterComponents();
    }

    public RMSNorm Norm => norm;
    public MambaMixer Mixer => mixer;

    /// <summary>residual: (b, l, d) -> (b, l, d).</summary>
    public override Tensor forward(Tensor residual) => Forward(residual, null);

    public Tensor Forward(Tensor residual, LayerState? finalState)
    {
        using var scope = NewDisposeScope();
        return (residual + mixer.Forward(norm.forward(residual), finalState)).MoveToOuterDisposeScope();
    }

    /// <summary>residual: (N, d) -> (N, d), state updated in place.</summary>
    public Tensor Step(Tensor residual, LayerState state)
    {
        using var scope = NewDisposeScope();
        return (residual + mixer.Step(norm.forward(residual), state)).MoveToOuterDisposeScope();
    }
}
