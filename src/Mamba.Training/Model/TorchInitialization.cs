using Mamba.Core.Model;
using static TorchSharp.torch;

namespace Mamba.Training.Model;

/// <summary>
/// mamba_ssm's initialisation (the rules in Core's <see cref="MambaInitialization"/>) applied to
/// TorchSharp parameters, drawn from a torch generator so a seed gives the same model.
/// </summary>
public static class TorchInitialization
{
    private const double DtMin = MambaInitialization.DtMin, DtMax = MambaInitialization.DtMax, DtInitFloor = MambaInitialization.DtInitFloor;

    public static void InitializeMixer(MambaConfig config, Tensor inProj, Tensor convWeight, Tensor convBias,
        Tensor xProj, Tensor dtProjWeight, Tensor dtProjBias, Tensor aLog, Tensor d, Tensor outProj, Generator? generator)
    {
        using var _ = no_grad();
        int dIn = config.DInner, n = config.DState;
        KaimingUniform(inProj, generator);
        KaimingUniform(xProj, generator);
        // Conv1d default: weight kaiming-uniform over fan_in = k (one input channel per group), bias U(+-1/sqrt(fan_in)).
        KaimingUniform(convWeight, generator);
        double convBound = MambaInitialization.ConvBiasBound(config);
        Uniform(convBias, convBound, generator);

        // dt_proj weight ~ U(+-dt_rank^-0.5): "random" dt init with dt_scale = 1.
        double dtStd = MambaInitialization.DtProjBound(config);
        Uniform(dtProjWeight, dtStd, generator);
        // dt ~ exp(U(ln dt_min, ln dt_max)), floored, stored as softplus^-1(dt) = dt + log(-expm1(-dt))
        // so that softplus(dt_proj.bias) starts in [dt_min, dt_max]. Never re-initialised later.
        var dt = exp(rand(new long[] { dIn }, dtype: ScalarType.Float64, generator: generator)
                     * (Math.Log(DtMax) - Math.Log(DtMin)) + Math.Log(DtMin)).clamp_min(DtInitFloor);
        var invSoftplus = dt + log(-expm1(-dt));
        dtProjBias.copy_(invSoftplus.to_type(dtProjBias.dtype));

        // S4D-real: A = -(1..n) for every channel, stored as A_log (float32, no weight decay).
        aLog.copy_(log(arange(1, n + 1, dtype: ScalarType.Float32)).unsqueeze(0).expand(dIn, n));
        d.fill_(1.0f);

        // out_proj: default init scaled by 1/sqrt(n_layer) (rescale_prenorm_residual, one residual per layer).
        KaimingUniform(outProj, generator);
        outProj.div_(MambaInitialization.OutProjDivisor(config));
    }

    public static void InitializeEmbedding(Tensor embedding, Generator? generator)
    {
        using var _ = no_grad();
        embedding.copy_(randn(embedding.shape, dtype: embedding.dtype, generator: generator) * MambaInitialization.EmbeddingStd);
    }

    /// <summary>PyTorch's default for Linear/Conv weights: kaiming_uniform(a = sqrt(5)) = U(+-1/sqrt(fan_in)).</summary>
    private static void KaimingUniform(Tensor weight, Generator? generator)
    {
        long fanIn = 1;
        for (int i = 1; i < weight.dim(); i++) fanIn *= weight.shape[i];
        double bound = MambaInitialization.KaimingBound(fanIn);
        Uniform(weight, bound, generator);
    }

    // Drawn with torch.rand and the generator explicitly: TorchSharp's nn.init helpers do not
    // honour a generator, so two models of the same seed would differ.
    private static void Uniform(Tensor weight, double bound, Generator? generator) =>
        weight.copy_((rand(weight.shape, dtype: weight.dtype, generator: generator) * 2 - 1) * bound);
}
