using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Mamba.Training.Scan;

namespace Mamba.Training.Tests.Scan;

/// <summary>
/// The scan's 32-at-once warp sums on ILGPU's CPU accelerator at every warp width they take. The scan
/// tests run its 4-lane warps and the GPU its 32; here 8 and 16 too. Small whole numbers make every
/// sum exact in float32, so the butterfly's order of additions cannot hide a wrong lane or a wrong half.
/// </summary>
public class WarpSumsTests
{
    private static void SumKernel(ArrayView<float> values, ArrayView<float> sums)
    {
        int thread = Grid.GlobalIndex.X;
        var first = StateSlice.Load(values, thread * 32L);
        var second = StateSlice.Load(values, thread * 32L + 16);
        int warp = thread / Warp.WarpSize;
        WarpSums.SumAndStore(first, second, sums, warp * 32L);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(32)]
    public void ThirtyTwoSums_AreEachValueSummedOverTheWarpsLanes(int lanes)
    {
        const int warps = 4;   // the CPU device takes a power of two
        int seed = Random.Shared.Next();
        var random = new Random(seed);
        int threads = warps * lanes;
        var values = new float[threads * 32];
        for (int i = 0; i < values.Length; i++) values[i] = random.Next(-1000, 1001);

        using var context = Context.Create(b => b.CPU(new CPUDevice(numThreadsPerWarp: lanes, numWarpsPerMultiprocessor: warps, numMultiprocessors: 1)));
        using var accelerator = context.CreateCPUAccelerator(0);
        using var input = accelerator.Allocate1D(values);
        using var output = accelerator.Allocate1D<float>(warps * 32);
        output.MemSet(0xFF);   // NaN everywhere: a sum never stored fails
        var kernel = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>>(SumKernel);
        kernel(new KernelConfig(1, threads), input.View, output.View);
        accelerator.Synchronize();
        var sums = output.GetAsArray1D();

        for (int w = 0; w < warps; w++)
            for (int k = 0; k < 32; k++)
            {
                float expected = 0;
                for (int lane = 0; lane < lanes; lane++) expected += values[(w * lanes + lane) * 32 + k];
                Assert.True(expected == sums[w * 32 + k], $"seed {seed}, {lanes} lanes: warp {w}, sum {k} is {sums[w * 32 + k]}, expected {expected}");
            }
    }
}
