using Mamba.Core.Model;
using static TorchSharp.torch;

namespace Mamba.Core.Engines.Cpu;

/// <summary>
/// The weights of a <see cref="MambaLM"/> copied out once and laid out for the CPU step (read-only
/// after construction). Widths are padded up to multiples of 8 (one Vector256) with zeros, so the
/// kernels have no tails: a padded channel has zero weights, zero input and stays zero.
/// "T" marks a transposed copy, (in, out) row-major, for the column (axpy) form of the mat-vec.
/// </summary>
public sealed class CpuWeights
{
    public MambaConfig Config { get; }
    /// <summary>d, d_in, v padded to multiples of 8; xDbl = r + 2n rows of x_proj (not padded).</summary>
    public int Dp { get; }
    public int DInP { get; }
    public int Vp { get; }
    public int XDbl { get; }

    public float[] Embedding { get; }    // (v, Dp) rows of the classes (padding rows dropped)
    public float[] HeadT { get; }        // (Dp, Vp) tied head: HeadT[c, o] = embedding[o, c]
    public float[] NormF { get; }        // (Dp)
    public CpuLayerWeights[] Layers { get; }

    public static int Pad8(int n) => (n + 7) & ~7;

    /// <summary>Copies the model's parameters (any device, any float dtype) into float32 arrays.</summary>
    public CpuWeights(MambaLM model) : this(model.Config, ReaderOf(model)) { }

    /// <summary>
    /// Random weights drawn like <see cref="MambaInitialization"/> (uniform fan-in bounds, S4D-real A,
    /// D = 1, dt bias = softplus^-1 of a log-uniform dt, N(0, 0.02) embedding) from a <see cref="Pcg32"/>,
    /// without libtorch: for benchmarks, which cost the same on any weights, and for checks across machines.
    /// </summary>
    public static CpuWeights Random(MambaConfig config, ulong seed)
    {
        config.Validate();
        var rng = new Sampling.Pcg32(seed);
        float Uniform(double bound) => (float)((rng.NextFloat() * 2.0 - 1.0) * bound);
        float[] U(int count, double bound) { var a = new float[count]; for (int i = 0; i < a.Length; i++) a[i] = Uniform(bound); return a; }
        int d = config.DModel, dIn = config.DInner, n = config.DState, r = config.DtRank, k = config.DConv;
        var p = new Dictionary<string, float[]>();
        var emb = new float[config.PaddedVocabSize * d];
        for (int i = 0; i < emb.Length; i++)
        {
            // Box-Muller from two uniforms in (0, 1].
            double u1 = 1.0 - rng.NextFloat(), u2 = rng.NextFloat();
            emb[i] = (float)(MambaInitialization.EmbeddingStd * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        p["backbone.embedding.weight"] = emb;
        p["backbone.norm_f.weight"] = Enumerable.Repeat(1f, d).ToArray();
        for (int l = 0; l < config.NLayer; l++)
        {
            string m = $"backbone.layers.{l}.mixer.";
            p[$"backbone.layers.{l}.norm.weight"] = Enumerable.Repeat(1f, d).ToArray();
            p[m + "in_proj.weight"] = U(2 * dIn * d, 1 / Math.Sqrt(d));
            p[m + "conv1d.weight"] = U(dIn * k, 1 / Math.Sqrt(k));
            p[m + "conv1d.bias"] = U(dIn, 1 / Math.Sqrt(k));
            p[m + "x_proj.weight"] = U((r + 2 * n) * dIn, 1 / Math.Sqrt(dIn));
            p[m + "dt_proj.weight"] = U(dIn * r, Math.Pow(r, -0.5));
            var bias = new float[dIn];
            for (int i = 0; i < dIn; i++)
            {
                double dt = Math.Max(MambaInitialization.DtInitFloor, Math.Exp(rng.NextFloat() *
                    (Math.Log(MambaInitialization.DtMax) - Math.Log(MambaInitialization.DtMin)) + Math.Log(MambaInitialization.DtMin)));
                bias[i] = (float)(dt + Math.Log(1 - Math.Exp(-dt)));
            }
            p[m + "dt_proj.bias"] = bias;
            var aLog = new float[dIn * n];
            for (int i = 0; i < aLog.Length; i++) aLog[i] = (float)Math.Log(i % n + 1);
            p[m + "A_log"] = aLog;
            p[m + "D"] = Enumerable.Repeat(1f, dIn).ToArray();
            p[m + "out_proj.weight"] = U(d * dIn, 1 / Math.Sqrt(dIn) / Math.Sqrt(config.NLayer));
        }
        return new CpuWeights(config, name => p[name]);
    }

    /// <param name="read">The float32 values of a parameter by its checkpoint name, in PyTorch's layout.</param>
    private CpuWeights(MambaConfig config, Func<string, float[]> read)
    {
        var c = Config = config;
        int d = c.DModel, dIn = c.DInner, n = c.DState, r = c.DtRank, k = c.DConv, v = c.VocabSize;
        Dp = Pad8(d); DInP = Pad8(dIn); Vp = Pad8(v); XDbl = r + 2 * n;
        float[] Read(string name) => read(name);

        var emb = Read("backbone.embedding.weight");                      // (v_padded, d)
        Embedding = new float[v * Dp];
        HeadT = new float[Dp * Vp];
        for (int o = 0; o < v; o++)
            for (int i = 0; i < d; i++)
            {
                Embedding[o * Dp + i] = emb[o * d + i];
                HeadT[i * Vp + o] = emb[o * d + i];
            }
        NormF = PadVector(Read("backbone.norm_f.weight"), Dp);

        Layers = new CpuLayerWeights[c.NLayer];
        for (int l = 0; l < c.NLayer; l++)
        {
            string m = $"backbone.layers.{l}.mixer.";
            var L = Layers[l] = new CpuLayerWeights(Dp, DInP, XDbl, r, n, k);
            PadVector(Read($"backbone.layers.{l}.norm.weight"), Dp).CopyTo(L.Norm, 0);

            var inProj = Read(m + "in_proj.weight");                      // (2 d_in, d)
            for (int o = 0; o < 2 * dIn; o++)
            {
                int col = o < dIn ? o : DInP + (o - dIn);                 // x in [0, d_in), z in [DInP, DInP + d_in)
                for (int i = 0; i < d; i++) L.InProjT[i * 2 * DInP + col] = inProj[o * d + i];
            }
            var convW = Read(m + "conv1d.weight");                        // (d_in, 1, k)
            for (int ch = 0; ch < dIn; ch++)
                for (int j = 0; j < k; j++) L.ConvW[j * DInP + ch] = convW[ch * k + j];
            Read(m + "conv1d.bias").CopyTo(L.ConvB, 0);
            var xProj = Read(m + "x_proj.weight");                        // (r + 2n, d_in)
            for (int o = 0; o < XDbl; o++)
                Array.Copy(xProj, o * dIn, L.XProj, o * DInP, dIn);
            var dtW = Read(m + "dt_proj.weight");                         // (d_in, r)
            for (int ch = 0; ch < dIn; ch++)
                for (int j = 0; j < r; j++) L.DtProjT[j * DInP + ch] = dtW[ch * r + j];
            Read(m + "dt_proj.bias").CopyTo(L.DtBias, 0);
            var aLog = Read(m + "A_log");                                 // (d_in, n)
            for (int ch = 0; ch < dIn; ch++)
                for (int j = 0; j < n; j++)
                    // A = -exp(A_log), in double then rounded: the same float on every machine.
                    L.A[j * DInP + ch] = (float)-Math.Exp(aLog[ch * n + j]);
            Read(m + "D").CopyTo(L.D, 0);
            var outProj = Read(m + "out_proj.weight");                    // (d, d_in)
            for (int o = 0; o < d; o++)
                for (int i = 0; i < dIn; i++) L.OutProjT[i * Dp + o] = outProj[o * dIn + i];
        }
    }

    /// <summary>Bytes of weights the step reads (the working set per step of one stream).</summary>
    public long Bytes => 4L * (HeadT.Length + NormF.Length + Layers.Sum(l => (long)l.FloatCount));

    private static Func<string, float[]> ReaderOf(MambaLM model)
    {
        var p = model.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter);
        return name => ReadFloats(p[name]);
    }

    private static float[] ReadFloats(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
    }

    private static float[] PadVector(float[] x, int length)
    {
        var y = new float[length];
        x.CopyTo(y, 0);
        return y;
    }
}
