namespace Mamba.Core.Model;

/// <summary>
/// The initialisation rules of mamba_ssm (mamba_simple.py and MambaLMHeadModel._init_weights) as
/// numbers and formulas, in one place: the TorchSharp model (Mamba.Training's TorchInitialization)
/// and the torch-free random weights (<see cref="MambaRandomWeights"/>) both draw through these.
/// Linear and conv layers keep PyTorch's defaults (kaiming-uniform, a = sqrt(5)) except where noted.
/// </summary>
public static class MambaInitialization
{
    public const double DtMin = 1e-3, DtMax = 1e-1, DtInitFloor = 1e-4;
    public const double EmbeddingStd = 0.02;

    /// <summary>PyTorch's default for Linear/Conv weights, kaiming_uniform(a = sqrt(5)): U(+-1/sqrt(fan_in)).</summary>
    public static double KaimingBound(long fanIn) => 1.0 / Math.Sqrt(fanIn);

    /// <summary>Conv1d bias default: U(+-1/sqrt(fan_in)), fan_in = d_conv (one input channel per group).</summary>
    public static double ConvBiasBound(MambaConfig config) => 1.0 / Math.Sqrt(config.DConv);

    /// <summary>dt_proj weight ~ U(+-dt_rank^-0.5): mamba_ssm's "random" dt init with dt_scale = 1.</summary>
    public static double DtProjBound(MambaConfig config) => Math.Pow(config.DtRank, -0.5);

    /// <summary>out_proj: the default init divided by sqrt(n_layer) (rescale_prenorm_residual, one residual per layer).</summary>
    public static double OutProjDivisor(MambaConfig config) => Math.Sqrt(config.NLayer);

    /// <summary>
    /// dt_proj bias from a uniform draw u in [0, 1): dt = exp(u (ln dt_max - ln dt_min) + ln dt_min),
    /// floored at <see cref="DtInitFloor"/>, stored as softplus^-1(dt) = dt + log(-expm1(-dt)) so
    /// that softplus(bias) starts in [dt_min, dt_max]. Never re-initialised later. (-expm1(-dt) is
    /// written 1 - exp(-dt): .NET has no expm1, and at dt >= 1e-4 the two agree to 1e-12.)
    /// </summary>
    public static double DtBias(double u)
    {
        double dt = Math.Max(DtInitFloor, Math.Exp(u * (Math.Log(DtMax) - Math.Log(DtMin)) + Math.Log(DtMin)));
        return dt + Math.Log(1 - Math.Exp(-dt));
    }

    /// <summary>S4D-real: A_log[c, j] = log(j + 1) for every channel c (A = -(1..n)); float32, no weight decay.</summary>
    public static float ALog(int j) => (float)Math.Log(j + 1);
}
