using Mamba.Core.Checkpoints;
using Mamba.Core.Sampling;

namespace Mamba.Core.Model;

/// <summary>
/// Random weights of a Mamba LM drawn by <see cref="MambaInitialization"/>'s rules from a
/// <see cref="Pcg32"/>, without libtorch: for benchmarks (which cost the same on any weights), for
/// checkpoints made where no training framework is loaded, and for checks across machines (the
/// same seed gives the same bits everywhere). Not the same numbers as the TorchSharp model of that
/// seed, which draws from torch's generator.
/// </summary>
public static class MambaRandomWeights
{
    /// <summary>Every tensor of <see cref="MambaCheckpoint.ExpectedTensors"/> (lm_head tied), float32.</summary>
    public static Dictionary<string, SafeTensor> Create(MambaConfig config, ulong seed)
    {
        config.Validate();
        var rng = new Pcg32(seed);
        int d = config.DModel, dIn = config.DInner, n = config.DState, r = config.DtRank, k = config.DConv;
        float[] Uniform(int count, double bound)
        {
            var a = new float[count];
            for (int i = 0; i < a.Length; i++) a[i] = (float)((rng.NextFloat() * 2.0 - 1.0) * bound);
            return a;
        }
        float[] Filled(int count, float value) { var a = new float[count]; Array.Fill(a, value); return a; }

        var p = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        void Add(string name, float[] values, params long[] shape) => p[name] = SafeTensor.FromFloats(values, shape);

        var embedding = new float[config.PaddedVocabSize * d];
        for (int i = 0; i < embedding.Length; i++)
        {
            // N(0, std) by Box-Muller from two uniforms, the first in (0, 1].
            double u1 = 1.0 - rng.NextFloat(), u2 = rng.NextFloat();
            embedding[i] = (float)(MambaInitialization.EmbeddingStd * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        Add(MambaCheckpoint.EmbeddingName, embedding, config.PaddedVocabSize, d);
        for (int l = 0; l < config.NLayer; l++)
        {
            string m = $"backbone.layers.{l}.mixer.";
            Add($"backbone.layers.{l}.norm.weight", Filled(d, 1f), d);
            Add(m + "in_proj.weight", Uniform(2 * dIn * d, MambaInitialization.KaimingBound(d)), 2 * dIn, d);
            Add(m + "conv1d.weight", Uniform(dIn * k, MambaInitialization.KaimingBound(k)), dIn, 1, k);
            Add(m + "conv1d.bias", Uniform(dIn, MambaInitialization.ConvBiasBound(config)), dIn);
            Add(m + "x_proj.weight", Uniform((r + 2 * n) * dIn, MambaInitialization.KaimingBound(dIn)), r + 2 * n, dIn);
            Add(m + "dt_proj.weight", Uniform(dIn * r, MambaInitialization.DtProjBound(config)), dIn, r);
            var bias = new float[dIn];
            for (int i = 0; i < dIn; i++) bias[i] = (float)MambaInitialization.DtBias(rng.NextFloat());
            Add(m + "dt_proj.bias", bias, dIn);
            var aLog = new float[dIn * n];
            for (int i = 0; i < aLog.Length; i++) aLog[i] = MambaInitialization.ALog(i % n);
            Add(m + "A_log", aLog, dIn, n);
            Add(m + "D", Filled(dIn, 1f), dIn);
            Add(m + "out_proj.weight", Uniform(d * dIn, MambaInitialization.KaimingBound(dIn) / MambaInitialization.OutProjDivisor(config)), d, dIn);
        }
        Add("backbone.norm_f.weight", Filled(d, 1f), d);
        p[MambaCheckpoint.LmHeadName] = p[MambaCheckpoint.EmbeddingName];
        return p;
    }
}
