using Mamba.Core.Model;
using Mamba.Core.Checkpoints;

namespace Mamba.Core.Engines.Cpu;

/// <summary>
/// The weights of a Mamba LM (a checkpoint, or a model handed over by Mamba.Training) copied out once and laid out for the CPU step (read-only
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

    /// <summary>Lays out the weights of a checkpoint read by <see cref="MambaCheckpoint.Load"/>.</summary>
    public CpuWeights(LoadedCheckpoint checkpoint) : this(checkpoint.Config, checkpoint.Floats) { }

    /// <summary>Reads a checkpoint directory (or its model.safetensors) straight into the engine's layout; no training framework is loaded.</summary>
    /// <exception cref="CheckpointException">The checkpoint is missing, corrupted or does not match its config.json.</exception>
    public static CpuWeights Load(string path) => new(MambaCheckpoint.Load(path));

    /// <summary>Random weights drawn by the model's initialisation rules (<see cref="MambaRandomWeights"/>): for benchmarks and checks.</summary>
    public static CpuWeights Random(MambaConfig config, ulong seed)
    {
        var tensors = MambaRandomWeights.Create(config, seed);
        return new CpuWeights(config, name => tensors[name].ToFloats());
    }

    /// <param name="read">The float32 values of a parameter by its checkpoint name, in PyTorch's layout.</param>
    public CpuWeights(MambaConfig config, Func<string, float[]> read)
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

    private static float[] PadVector(float[] x, int length)
    {
        var y = new float[length];
        x.CopyTo(y, 0);
        return y;
    }
}
