using Mamba.Training.Tests.Scan;
using Mamba.Training.Tests.Support;

namespace Mamba.Training.Tests.Devices;

/// <summary>The ILGPU scan's kernels on the GPU against the float64 reference (runs on the GPU host).</summary>
public class CudaScanTests
{
    [Theory]
    [InlineData(2, 130, 16, 700, true)]    // d_in past four warps, not a multiple of 32; 22 chunks
    [InlineData(3, 64, 16, 2048, false)]   // the training crop length
    [InlineData(1, 33, 64, 100, true)]     // the largest n
    public void IlgpuScanOnCuda_MatchesReference_ValuesAndGradients(int b, int dIn, int n, int l, bool withZ) =>
        IlgpuSelectiveScanTests.CompareWithReference(Cuda.RequireDevice(), b, dIn, n, l, withZ);
}
