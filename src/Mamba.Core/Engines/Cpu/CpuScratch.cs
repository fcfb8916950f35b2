namespace Mamba.Core.Engines.Cpu;

/// <summary>
/// One thread's working buffers for a group of up to <see cref="Capacity"/> streams, allocated once
/// on the pinned heap (the kernels take pointers). Rows are streams; widths are the padded ones of
/// <see cref="CpuWeights"/>.
/// </summary>
internal sealed class CpuScratch
{
    public readonly int Capacity;
    public readonly float[] Residual;  // (G, Dp) the residual stream, float32
    public readonly float[] Normed;    // (G, Dp)
    public readonly float[] Xz;        // (G, 2 DInP): x | z after in_proj
    public readonly float[] Xc;        // (G, DInP) after conv and SiLU
    public readonly float[] XDbl;      // (G, XDblP): dt | B | C after x_proj
    public readonly float[] Y;         // (G, DInP) gated SSM output
    public readonly float[] Out;       // (G, Dp) out_proj
    public readonly float[] Logits;    // (G, Vp)
    public readonly float[] Probs;     // (Vp) sampler scratch
    public readonly long[] Order;      // (Vp) sampler scratch
    public readonly int XDblP;

    public CpuScratch(CpuWeights w, int capacity)
    {
        Capacity = capacity;
        XDblP = CpuWeights.Pad8(w.XDbl);
        Residual = New(capacity * w.Dp);
        Normed = New(capacity * w.Dp);
        Xz = New(capacity * 2 * w.DInP);
        Xc = New(capacity * w.DInP);
        XDbl = New(capacity * XDblP);
        Y = New(capacity * w.DInP);
        Out = New(capacity * w.Dp);
        Logits = New(capacity * w.Vp);
        Probs = New(w.Vp);
        Order = new long[w.Vp];
    }

    private static float[] New(int n) => GC.AllocateArray<float>(n, pinned: true);
}
