using Mamba.Training.Scan;
using Mamba.Training.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Tests.Scan;

/// <summary>
/// The ILGPU chunked scan against the float64 reference on fresh random inputs. Here the kernels
/// run on ILGPU's CPU accelerator (emulated 4-lane warps, so shuffles across warps and padding lanes are exercised);
/// the CUDA test runs the same kernels on the GPU host.
/// </summary>
public class IlgpuSelectiveScanTests
{
    internal static void CompareWithReference(Device device, int b, int dIn, int n, int l, bool withZ, double? deltaMax = null)
    {
        long seed = ScanInputs.FreshSeed();
        string context = $"seed {seed}, b={b}, d_in={dIn}, n={n}, l={l}, z={withZ}, deltaMax={deltaMax}, on {device}";
        using var scope = NewDisposeScope();
        var x32 = ScanInputs.Random(seed, b, dIn, n, l, withZ, deltaMax: deltaMax);
        var w = randn(new long[] { b, dIn, l }, generator: new Generator((ulong)seed + 1));
        var truth = ScanResult.Run(ReferenceSelectiveScan.Instance, x32.To(ScalarType.Float64), w);
        var float32 = ScanResult.Run(ReferenceSelectiveScan.Instance, x32, w);
        var kernels = ScanResult.Run(IlgpuSelectiveScan.Instance, x32.On(device), w);
        kernels.AssertCloseTo(truth, 1e-4, context + ", ilgpu float32 vs reference float64", float32);
    }

    [Theory]
    [InlineData(2, 3, 16, 100, true)]     // chunks of 32: l crosses three chunk boundaries, a last chunk of one piece of 4
    [InlineData(2, 45, 16, 64, false)]    // d_in not a multiple of the warp size (4 here, 32 on CUDA): padding lanes
    [InlineData(1, 5, 5, 131, true)]      // odd n: padded to one slice of 16; a last chunk of 3 steps, a partial piece
    [InlineData(2, 4, 64, 40, false)]     // n = 64, the largest: four slices, added into y, du and ddelta
    [InlineData(1, 9, 16, 1, false)]      // a single step
    public void IlgpuScan_MatchesReference_ValuesAndGradients(int b, int dIn, int n, int l, bool withZ) =>
        CompareWithReference(CPU, b, dIn, n, l, withZ);

    [Fact]
    public void IlgpuScan_MatchesReference_WithLargeDeltas()
    {
        // Large steps decay states almost to zero within a chunk: the chunk carries must stay exact.
        CompareWithReference(CPU, 2, 6, 8, 150, true, deltaMax: 3.0);
    }

    [Fact]
    public void IlgpuScan_WithoutAutograd_GivesTheSameValues()
    {
        long seed = ScanInputs.FreshSeed();
        using var scope = NewDisposeScope();
        var x = ScanInputs.Random(seed, 2, 7, 16, 70, true);
        using var _ = no_grad();
        var lastRef = zeros(2, 7, 16);
        var lastK = zeros(2, 7, 16);
        var yRef = ReferenceSelectiveScan.Instance.Forward(x.U, x.Delta, x.A, x.B, x.C, x.D, x.Z, lastRef);
        var yK = IlgpuSelectiveScan.Instance.Forward(x.U, x.Delta, x.A, x.B, x.C, x.D, x.Z, lastK);
        ScanAssert.Close("y", yK, yRef, 1e-4, $"seed {seed}");
        ScanAssert.Close("lastState", lastK, lastRef, 1e-4, $"seed {seed}");
    }

    [Fact]
    public void IlgpuScan_BackwardOnAnotherThread_KeepsNoTensorsAlive()
    {
        // On CUDA, libtorch runs backward on its own device thread, outside any dispose scope; the
        // tensors handed across there must not wait for the garbage collector (they held GPU memory
        // until the base preset ran out of it). One long-lived thread plays libtorch's here.
        using var scope = NewDisposeScope();
        var x = ScanInputs.Random(ScanInputs.FreshSeed(), 2, 8, 4, 40, false);
        using var work = new System.Collections.Concurrent.BlockingCollection<Tensor>();
        using var live = new System.Collections.Concurrent.BlockingCollection<long>();
        var thread = new Thread(() =>
        {
            foreach (var loss in work.GetConsumingEnumerable())
            {
                loss.backward();
                live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
            }
        });
        thread.Start();
        var counts = new List<long>();
        for (int call = 0; call < 5; call++)
        {
            Tensor loss;
            using (NewDisposeScope())
                loss = IlgpuSelectiveScan.Instance.Forward(x.U, x.Delta, x.A, x.B, x.C, x.D, null).sum().MoveToOuterDisposeScope();
            work.Add(loss, TestContext.Current.CancellationToken);
            counts.Add(live.Take(TestContext.Current.CancellationToken));
            loss.Dispose();
        }
        work.CompleteAdding();
        thread.Join();
        // At most one backward's hand-over stays alive on the thread (5 gradients), however many run.
        Assert.True(counts.All(c => c <= 5), $"tensors alive on the backward thread after each call: {string.Join(", ", counts)}");
    }

    [Fact]
    public void IlgpuScan_RefusesWhatItCannotRun()
    {
        using var scope = NewDisposeScope();
        var x = ScanInputs.Random(1, 1, 2, 4, 5, false, ScalarType.Float64);
        var e = Assert.Throws<ArgumentException>(() => IlgpuSelectiveScan.Instance.Forward(x.U, x.Delta, x.A, x.B, x.C, x.D, null));
        Assert.Contains("float32", e.Message);
        var big = ScanInputs.Random(1, 1, 2, 65, 5, false);
        e = Assert.Throws<ArgumentException>(() => IlgpuSelectiveScan.Instance.Forward(big.U, big.Delta, big.A, big.B, big.C, big.D, null));
        Assert.Contains("n = 65", e.Message);
    }
}
