namespace Mamba.Core.Engines.Cpu;

/// <summary>One block's weights for the CPU step (see <see cref="CpuWeights"/>; Dp, DInP padded to multiples of 8).</summary>
public sealed class CpuLayerWeights
{
    public readonly float[] Norm;      // (Dp) RMSNorm weight
    public readonly float[] InProjT;   // (Dp, 2 DInP): columns [0, DInP) give x, [DInP, 2 DInP) give z
    public readonly float[] ConvW;     // (k, DInP): tap j of every channel, oldest tap first
    public readonly float[] ConvB;     // (DInP)
    public readonly float[] XProj;     // (r + 2n, DInP) row-major: rows dt (r), B (n), C (n)
    public readonly float[] DtProjT;   // (r, DInP)
    public readonly float[] DtBias;    // (DInP)
    public readonly float[] A;         // (n, DInP) = -exp(A_log), transposed
    public readonly float[] D;         // (DInP)
    public readonly float[] OutProjT;  // (DInP, Dp)

    public CpuLayerWeights(int dp, int dInP, int xDbl, int r, int n, int k)
    {
        Norm = new float[dp];
        InProjT = new float[dp * 2 * dInP];
        ConvW = new float[k * dInP];
        ConvB = new float[dInP];
        XProj = new float[xDbl * dInP];
        DtProjT = new float[r * dInP];
        DtBias = new float[dInP];
        A = new float[n * dInP];
        D = new float[dInP];
        OutProjT = new float[dInP * dp];
    }

    public int FloatCount => Norm.Length + InProjT.Length + ConvW.Length + ConvB.Length + XProj.Length +
                             DtProjT.Length + DtBias.Length + A.Length + D.Length + OutProjT.Length;
}
