using Mamba.Core.Engines.Cpu;

namespace Mamba.Core.Cuda;

/// <summary>
/// The sizes and the flat weight layout the step kernel reads, passed to it by value. The weights are
/// the CPU engine's (<see cref="CpuWeights"/>, padded to multiples of 8) in one buffer: each layer's
/// arrays in <see cref="CpuLayerWeights"/>'s order, then the embedding, the tied head and the final norm.
/// The recurrent state is the CPU engine's too: per slot, per layer, the conv window (k, DInP) then h (n, DInP).
/// </summary>
public readonly struct CudaModelLayout
{
    public readonly int D, Dp, DInP, N, R, K, XDbl, V, Vp, Layers;
    public readonly int Norm, InProjT, ConvW, ConvB, XProj, DtProjT, DtBias, A, DSkip, OutProjT, LayerStride;
    public readonly int Embedding, HeadT, NormF, WeightCount;
    public readonly int StateLayerStride, StateSlotStride;

    /// <summary>
    /// Floats of one stream's region of a tile's shared memory: the layer phase's rows (residual, normed, xz, xc,
    /// x_proj's output) or the head's (residual, normed, logits, probabilities, top-p order), whichever is longer.
    /// </summary>
    public readonly int StreamFloats;

    public CudaModelLayout(CpuWeights w)
    {
        var c = w.Config;
        (D, Dp, DInP, N, R, K, XDbl, V, Vp, Layers) = (c.DModel, w.Dp, w.DInP, c.DState, c.DtRank, c.DConv, w.XDbl, c.VocabSize, w.Vp, c.NLayer);
        Norm = 0;
        InProjT = Norm + Dp;
        ConvW = InProjT + Dp * 2 * DInP;
        ConvB = ConvW + K * DInP;
        XProj = ConvB + DInP;
        DtProjT = XProj + XDbl * DInP;
        DtBias = DtProjT + R * DInP;
        A = DtBias + DInP;
        DSkip = A + N * DInP;
        OutProjT = DSkip + DInP;
        LayerStride = OutProjT + DInP * Dp;
        Embedding = Layers * LayerStride;
        HeadT = Embedding + V * Dp;
        NormF = HeadT + Dp * Vp;
        WeightCount = NormF + Dp;
        StateLayerStride = (K + N) * DInP;
        StateSlotStride = Layers * StateLayerStride;
        StreamFloats = Math.Max(2 * Dp + 3 * DInP + XDbl, 2 * Dp + 3 * Vp);
    }

    /// <summary>The weights in this layout.</summary>
    public static float[] Pack(CpuWeights w)
    {
        var layout = new CudaModelLayout(w);
        var flat = new float[layout.WeightCount];
        for (int l = 0; l < layout.Layers; l++)
        {
            var L = w.Layers[l];
            int at = l * layout.LayerStride;
            foreach (var (array, offset) in new[] { (L.Norm, layout.Norm), (L.InProjT, layout.InProjT), (L.ConvW, layout.ConvW), (L.ConvB, layout.ConvB),
                         (L.XProj, layout.XProj), (L.DtProjT, layout.DtProjT), (L.DtBias, layout.DtBias), (L.A, layout.A), (L.D, layout.DSkip), (L.OutProjT, layout.OutProjT) })
                array.CopyTo(flat, at + offset);
        }
        w.Embedding.CopyTo(flat, layout.Embedding);
        w.HeadT.CopyTo(flat, layout.HeadT);
        w.NormF.CopyTo(flat, layout.NormF);
        return flat;
    }

    /// <summary>Floats of shared memory a group stepping <paramref name="streams"/> streams together uses.</summary>
    public int SharedFloats(int streams) => streams * (StreamFloats + CudaStepKernel.HeaderFloatsPerStream);
}
