using Mamba.Core.Engines.Cpu;

namespace Mamba.Core.Cuda;

/// <summary>
/// How <see cref="CudaSpreadStepKernel"/> splits one stream over <see cref="Parts"/> groups, passed to it by value, and
/// each part's weights packed together in the order its threads read them. Part b owns inner channels
/// [b C, (b + 1) C) (in_proj's x and z rows of them, their conv, their x_proj columns, their SSM), model
/// outputs [b O, (b + 1) O) of out_proj, and classes [b V, (b + 1) V) of the head. Rows are row-major over
/// their input, so the lanes of an output read consecutive weights.
/// Exchange words between the parts, per lane (a stream's set of parts): per layer x_proj's partial sums
/// (parts x XDbl), y (DInP) and the residual (Dp), then the logits (Vp); one word more after every lane
/// for the failure flag.
/// </summary>
public readonly struct CudaPartLayout
{
    public readonly int Parts, Channels, Outputs, Classes;

    /// <summary>Threads an output of the rows over d_model (in_proj, the head), over the part's channels (x_proj) and over d_inner (out_proj); threads a channel of the SSM.</summary>
    public readonly int ModelLanes, ChannelLanes, InnerLanes, StateLanes;
    public readonly int InRows, ConvW, ConvB, XProj, DtProjT, DtBias, A, DSkip, OutRows, LayerStride, Head, PartStride;
    public readonly int ExPartials, ExY, ExResidual, ExLayerStride, ExLogits, ExLaneStride;

    /// <summary>Floats of a group's shared memory.</summary>
    public readonly int SharedFloats;

    public CudaPartLayout(CudaModelLayout m, int parts, int warp)
    {
        if (parts < 1 || m.DInP % parts != 0 || m.Dp % parts != 0 || m.Vp % parts != 0)
            throw new ArgumentOutOfRangeException(nameof(parts), parts, $"parts must divide d_inner {m.DInP}, d_model {m.Dp} and the classes {m.Vp} (padded to 8).");
        Parts = parts;
        (Channels, Outputs, Classes) = (m.DInP / parts, m.Dp / parts, m.Vp / parts);
        int c = Channels;
        (ModelLanes, ChannelLanes, InnerLanes) = (CudaMatVec.LanesFor(m.Dp, warp), CudaMatVec.LanesFor(c, warp), CudaMatVec.LanesFor(m.DInP, warp));
        StateLanes = 1;
        while (StateLanes * 2 <= warp && m.N % (StateLanes * 2) == 0) StateLanes *= 2;
        InRows = 0;
        ConvW = InRows + 2 * c * m.Dp;
        ConvB = ConvW + m.K * c;
        XProj = ConvB + c;
        DtProjT = XProj + m.XDbl * c;
        DtBias = DtProjT + m.R * c;
        A = DtBias + c;
        DSkip = A + m.N * c;
        OutRows = DSkip + c;
        LayerStride = OutRows + Outputs * m.DInP;
        Head = m.Layers * LayerStride;
        PartStride = Head + Classes * m.Dp;

        ExPartials = 0;
        ExY = parts * m.XDbl;
        ExResidual = ExY + m.DInP;
        ExLayerStride = ExResidual + m.Dp;
        ExLogits = m.Layers * ExLayerStride;
        ExLaneStride = ExLogits + m.Vp;

        SharedFloats = CudaSpreadStepKernel.SharedFloats(m, this);
    }

    /// <summary>Exchange words for <paramref name="lanes"/> lanes and the failure flag.</summary>
    public long ExchangeWords(int lanes) => (long)lanes * ExLaneStride + 1;

    /// <summary>Every part's weights, part after part.</summary>
    public float[] Pack(CpuWeights w, CudaModelLayout m)
    {
        var flat = new float[(long)Parts * PartStride];
        int c = Channels;
        for (int b = 0; b < Parts; b++)
        {
            int at = b * PartStride, c0 = b * c, d0 = b * Outputs, v0 = b * Classes;
            for (int l = 0; l < m.Layers; l++)
            {
                var L = w.Layers[l];
                int la = at + l * LayerStride;
                for (int i = 0; i < c; i++)
                    for (int k = 0; k < m.Dp; k++)
                    {
                        flat[la + InRows + i * m.Dp + k] = L.InProjT[k * 2 * m.DInP + c0 + i];                 // x row of channel c0 + i
                        flat[la + InRows + (c + i) * m.Dp + k] = L.InProjT[k * 2 * m.DInP + m.DInP + c0 + i];  // its z row
                    }
                for (int i = 0; i < c; i++)
                {
                    for (int j = 0; j < m.K; j++) flat[la + ConvW + j * c + i] = L.ConvW[j * m.DInP + c0 + i];
                    flat[la + ConvB + i] = L.ConvB[c0 + i];
                    for (int o = 0; o < m.XDbl; o++) flat[la + XProj + o * c + i] = L.XProj[o * m.DInP + c0 + i];
                    for (int q = 0; q < m.R; q++) flat[la + DtProjT + q * c + i] = L.DtProjT[q * m.DInP + c0 + i];
                    flat[la + DtBias + i] = L.DtBias[c0 + i];
                    for (int n = 0; n < m.N; n++) flat[la + A + n * c + i] = L.A[n * m.DInP + c0 + i];
                    flat[la + DSkip + i] = L.D[c0 + i];
                }
                for (int o = 0; o < Outputs; o++)
                    for (int ch = 0; ch < m.DInP; ch++) flat[la + OutRows + o * m.DInP + ch] = L.OutProjT[ch * m.Dp + d0 + o];
            }
            for (int v = 0; v < Classes; v++)
                for (int k = 0; k < m.Dp; k++) flat[at + Head + v * m.Dp + k] = w.HeadT[k * m.Vp + v0 + v];
        }
        return flat;
    }
}
