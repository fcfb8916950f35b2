using Mamba.Core.Model;
using Mamba.Training.Recurrent;
using Mamba.Training.Scan;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mamba.Training.Model;

/// <summary>
/// The Mamba (S6) mixer of mamba_simple.py: in_proj -> causal depthwise conv -> SiLU -> selective
/// SSM with input-dependent delta, B, C -> gate by SiLU(z) -> out_proj. One type owns both forms:
/// <see cref="forward"/> (parallel, through an <see cref="ISelectiveScan"/>) and <see cref="Step"/>
/// (one sample for N streams, state updated in place). Field names are the checkpoint keys.
/// </summary>
public sealed class MambaMixer : nn.Module<Tensor, Tensor>
{
    private readonly MambaConfig config;
#pragma warning disable IDE1006 // names follow mamba_ssm's checkpoint keys
    private readonly Linear in_proj;    // (2*d_in, d), no bias
    private readonly Conv1d conv1d;     // weight (d_in, 1, k), bias (d_in); groups = d_in
    private readonly Linear x_proj;     // (r + 2n, d_in), no bias
    private readonly Linear dt_proj;    // (d_in, r), bias (d_in)
    private readonly Parameter A_log;   // (d_in, n), float32, A = -exp(A_log)
    private readonly Parameter D;       // (d_in), float32, skip connection
    private readonly Linear out_proj;   // (d, d_in), no bias
#pragma warning restore IDE1006

    public MambaMixer(MambaConfig config, Generator? generator = null) : base(nameof(MambaMixer))
    {
        this.config = config;
        int d = config.DModel, dIn = config.DInner, n = config.DState, r = config.DtRank;
        in_proj = nn.Linear(d, 2 * dIn, hasBias: false);
        conv1d = nn.Conv1d(dIn, dIn, config.DConv, padding: config.DConv - 1, groups: dIn, bias: true);
        x_proj = nn.Linear(dIn, r + 2 * n, hasBias: false);
        dt_proj = nn.Linear(r, dIn, hasBias: true);
        out_proj = nn.Linear(dIn, d, hasBias: false);
        A_log = nn.Parameter(zeros(dIn, n));
        D = nn.Parameter(ones(dIn));
        TorchInitialization.InitializeMixer(config, in_proj.weight!, conv1d.weight!, conv1d.bias!, x_proj.weight!,
            dt_proj.weight!, dt_proj.bias!, A_log, D, out_proj.weight!, generator);
        RegisterComponents();
    }

    /// <summary>
    /// The scan used by <see cref="forward"/>; null (the default) picks the fastest one for the
    /// device the input is on (<see cref="SelectiveScans.For"/>), so moving the model just works.
    /// </summary>
    public ISelectiveScan? Scan { get; set; }

    /// <summary>Parallel form. hidden: (b, l, d) -> (b, l, d).</summary>
    public override Tensor forward(Tensor hidden) => Forward(hidden, finalState: null);

    /// <summary>
    /// Parallel form that can also leave the recurrent state after the last position in
    /// <paramref name="finalState"/> (b streams), so a stream is primed from a prompt in one pass.
    /// </summary>
    public Tensor Forward(Tensor hidden, LayerState? finalState)
    {
        using var scope = NewDisposeScope();
        long l = hidden.shape[1];
        int dIn = config.DInner, n = config.DState, r = config.DtRank, k = config.DConv;

        var xz = in_proj.forward(hidden).transpose(1, 2);                   // (b, 2*d_in, l)
        var x = xz[.., ..dIn];                                              // (b, d_in, l)
        var z = xz[.., dIn..];                                              // (b, d_in, l)
        if (finalState is not null)
        {
            using var _ = no_grad();
            // The conv state is the last k inputs of the conv, zeros before the sequence start.
            var tail = l >= k ? x[.., .., (int)(l - k)..] : F.pad(x, new long[] { k - l, 0 });
            finalState.Conv.copy_(tail);
        }

        x = F.silu(conv1d.forward(x)[.., .., ..(int)l]);                   // (b, d_in, l)

        var xDbl = x_proj.forward(x.transpose(1, 2));                       // (b, l, r + 2n)
        var parts = xDbl.split(new long[] { r, n, n }, dim: -1);
        var delta = F.softplus(dt_proj.forward(parts[0])).transpose(1, 2);  // (b, d_in, l)
        var B = parts[1].transpose(1, 2);                                   // (b, n, l)
        var C = parts[2].transpose(1, 2);                                   // (b, n, l)
        var A = -exp(A_log.to_type(ScalarType.Float32));                    // (d_in, n)

        var scan = Scan ?? SelectiveScans.For(x.device);
        var y = scan.Forward(x, delta, A, B, C, D, z, finalState?.Ssm);    // (b, d_in, l)
        return out_proj.forward(y.transpose(1, 2)).MoveToOuterDisposeScope(); // (b, l, d)
    }

    /// <summary>
    /// Recurrent form: advances N streams by one sample. hidden: (N, d) -> (N, d); the layer's
    /// conv and ssm states are updated in place.
    /// </summary>
    public Tensor Step(Tensor hidden, LayerState state)
    {
        using var scope = NewDisposeScope();
        int dIn = config.DInner, n = config.DState, r = config.DtRank;

        var xz = in_proj.forward(hidden);                                   // (N, 2*d_in)
        var x = xz[.., ..dIn];                                              // (N, d_in)
        var z = xz[.., dIn..];                                              // (N, d_in)

        // Shift the conv window left by one and append x.
        state.Conv.copy_(roll(state.Conv, -1, -1));
        state.Conv[.., .., -1] = x;
        x = (state.Conv * conv1d.weight!.squeeze(1)).sum(-1) + conv1d.bias!;  // (N, d_in)
        x = F.silu(x);

        var parts = x_proj.forward(x).split(new long[] { r, n, n }, dim: -1);
        var delta = F.softplus(dt_proj.forward(parts[0]));                  // (N, d_in)
        var B = parts[1];                                                   // (N, n)
        var C = parts[2];                                                   // (N, n)
        var A = -exp(A_log.to_type(ScalarType.Float32));                    // (d_in, n)

        var dA = exp(einsum("Nd,dn->Ndn", delta, A));                       // (N, d_in, n)
        var dBx = einsum("Nd,Nn,Nd->Ndn", delta, B, x);                     // (N, d_in, n)
        state.Ssm.copy_(state.Ssm * dA + dBx);
        var y = einsum("Ndn,Nn->Nd", state.Ssm, C) + D * x;                 // (N, d_in)
        y = y * F.silu(z);
        return out_proj.forward(y).MoveToOuterDisposeScope();              // (N, d)
    }
}
