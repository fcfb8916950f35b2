using ILGPU;
using ILGPU.Runtime;
using Mamba.Training.Gpu;
using TorchSharp;
using View = ILGPU.ArrayView<float>;
using static TorchSharp.torch;

namespace Mamba.Training.Scan;

/// <summary>
/// Launches <see cref="ChunkedScanKernels"/> on tensors in the kernels' layout and makes the
/// intermediate tensors (chunk boundaries) with torch, on the operands' device, so that torch's
/// caching allocator owns every byte. Tensors made here belong to the caller's dispose scope.
/// </summary>
internal sealed class ChunkedScanLaunch
{
    private readonly KernelDevice device;
    private readonly ChunkedScanSizes sizes;
    private readonly Tensor u, delta, A, B, C;
    private readonly int n;

    /// <param name="u">(b, l, d_in), contiguous float32, like every operand.</param>
    /// <param name="delta">(b, l, d_in).</param>
    /// <param name="A">(d_in, n).</param>
    /// <param name="B">(b, l, n).</param>
    /// <param name="C">(b, l, n).</param>
    public ChunkedScanLaunch(Tensor u, Tensor delta, Tensor A, Tensor B, Tensor C)
    {
        device = KernelDevice.For(u.device);
        this.u = u; this.delta = delta;
        n = (int)A.shape[1];
        int padded = (n + StateSlice.Size - 1) / StateSlice.Size * StateSlice.Size;
        // The kernels read whole slices of 16 states with 16-byte loads: n padded with zeros (states
        // that stay zero and add nothing), on 16-byte aligned storage.
        this.A = PaddedStates(A, padded);
        this.B = PaddedStates(B, padded);
        this.C = PaddedStates(C, padded);
        sizes = new ChunkedScanSizes((int)u.shape[0], (int)u.shape[1], (int)u.shape[2], padded, device.WarpSize);
    }

    private static Tensor PaddedStates(Tensor t, int padded)
    {
        long n = t.shape[^1];
        if (n == padded) return TensorBuffer.Address(t) % 16 == 0 ? t : t.clone();
        return nn.functional.pad(t, new long[] { 0, padded - n });
    }

    /// <summary>The first n states of a tensor whose last axis is the padded state axis.</summary>
    private Tensor Unpadded(Tensor t) => sizes.N == n ? t : t.narrow(-1, 0, n).contiguous();

    private Tensor ChunkTensor() => empty(new long[] { sizes.Batch, sizes.Chunks, sizes.N, sizes.DIn }, ScalarType.Float32, u.device);

    /// <summary>
    /// y (b, l, d_in) and what the backward needs: chunk start states and delta sums.
    /// <paramref name="lastState"/>, when given, receives h_l in the interface's layout (b, d_in, n).
    /// </summary>
    public (Tensor Y, Tensor Starts, Tensor DeltaSums) Forward(Tensor? lastState)
    {
        var y = empty_like(u);
        var ends = ChunkTensor();
        var starts = ChunkTensor();
        var deltaSums = empty(new long[] { sizes.Batch, sizes.Chunks, sizes.DIn }, ScalarType.Float32, u.device);
        var last = empty(new long[] { sizes.Batch, sizes.N, sizes.DIn }, ScalarType.Float32, u.device);
        var views = new List<TensorBuffer>();
        try
        {
            var acc = device.Accelerator;
            View V(Tensor t) => TensorBuffer.View(acc, t, views);
            var (vu, vd, vA, vB, vC) = (V(u), V(delta), V(A), V(B), V(C));
            var (vEnds, vStarts, vSums, vLast, vy) = (V(ends), V(starts), V(deltaSums), V(last), V(y));
            device.Launch(() =>
            {
                var chunkEnds = device.Kernel<Action<Index1D, ChunkedScanSizes, View, View, View, View, View, View>>(
                    ChunkedScanKernels.ChunkEnds, a => a.LoadAutoGroupedStreamKernel<Index1D, ChunkedScanSizes, View, View, View, View, View, View>(ChunkedScanKernels.ChunkEnds));
                var chunkStarts = device.Kernel<Action<Index1D, ChunkedScanSizes, View, View, View, View, View>>(
                    ChunkedScanKernels.ChunkStarts, a => a.LoadAutoGroupedStreamKernel<Index1D, ChunkedScanSizes, View, View, View, View, View>(ChunkedScanKernels.ChunkStarts));
                var chunkOutputs = device.Kernel<Action<Index1D, ChunkedScanSizes, View, View, View, View, View, View, View>>(
                    ChunkedScanKernels.ChunkOutputs, a => a.LoadAutoGroupedStreamKernel<Index1D, ChunkedScanSizes, View, View, View, View, View, View, View>(ChunkedScanKernels.ChunkOutputs));
                chunkEnds(sizes.ChunkThreads, sizes, vu, vd, vA, vB, vEnds, vSums);
                chunkStarts(sizes.StateThreads, sizes, vA, vEnds, vSums, vStarts, vLast);
                chunkOutputs(sizes.ChunkThreads, sizes, vu, vd, vA, vB, vC, vStarts, vy);
            });
        }
        finally
        {
            foreach (var v in views) v.Dispose();
        }
        if (lastState is not null)
            using (no_grad()) lastState.copy_(Unpadded(last.transpose(1, 2)));
        return (y, starts, deltaSums);
    }

    /// <summary>Gradients in the kernels' layout: du, ddelta (b, l, d_in); dA (d_in, n); dB, dC (b, l, n).</summary>
    public (Tensor DU, Tensor DDelta, Tensor DA, Tensor DB, Tensor DC) Backward(Tensor dy, Tensor starts, Tensor deltaSums)
    {
        var du = empty_like(u);
        var dDelta = empty_like(u);
        var adjointEnds = ChunkTensor();
        var adjointStarts = ChunkTensor();
        var dAPerChunk = ChunkTensor();
        // (b, warps, l, slices, [dB, dC], 16): what each warp's channels add to dB and dC.
        var dBCPerWarp = empty(new long[] { sizes.Batch, sizes.Warps, sizes.Length, sizes.Slices, 2, StateSlice.Size }, ScalarType.Float32, u.device);
        var views = new List<TensorBuffer>();
        try
        {
            var acc = device.Accelerator;
            View V(Tensor t) => TensorBuffer.View(acc, t, views);
            var x = new ChunkedScanOperands { U = V(u), Delta = V(delta), A = V(A), B = V(B), C = V(C) };
            var grads = new ChunkedScanGradients { DU = V(du), DDelta = V(dDelta), DAPerChunk = V(dAPerChunk), DBCPerWarp = V(dBCPerWarp) };
            var (vdy, vStarts, vSums, vEnds, vAdjStarts) = (V(dy), V(starts), V(deltaSums), V(adjointEnds), V(adjointStarts));
            int threads = sizes.Batch * sizes.Chunks * sizes.DInPadded;
            int group = device.GroupSize;
            var config = new KernelConfig((threads + group - 1) / group, group);
            device.Launch(() =>
            {
                var adjointEndsKernel = device.Kernel<Action<Index1D, ChunkedScanSizes, View, View, View, View, View>>(
                    ChunkedScanKernels.AdjointEnds, a => a.LoadAutoGroupedStreamKernel<Index1D, ChunkedScanSizes, View, View, View, View, View>(ChunkedScanKernels.AdjointEnds));
                var adjointStartsKernel = device.Kernel<Action<Index1D, ChunkedScanSizes, View, View, View, View>>(
                    ChunkedScanKernels.AdjointStarts, a => a.LoadAutoGroupedStreamKernel<Index1D, ChunkedScanSizes, View, View, View, View>(ChunkedScanKernels.AdjointStarts));
                var gradientsKernel = device.Kernel<Action<KernelConfig, ChunkedScanSizes, ChunkedScanOperands, View, View, View, ChunkedScanGradients>>(
                    ChunkedScanKernels.ChunkGradients, a => a.LoadStreamKernel<ChunkedScanSizes, ChunkedScanOperands, View, View, View, ChunkedScanGradients>(ChunkedScanKernels.ChunkGradients));
                adjointEndsKernel(sizes.ChunkThreads, sizes, x.Delta, x.A, x.C, vdy, vEnds);
                adjointStartsKernel(sizes.StateThreads, sizes, x.A, vEnds, vSums, vAdjStarts);
                gradientsKernel(config, sizes, x, vdy, vStarts, vAdjStarts, grads);
            });
        }
        finally
        {
            foreach (var v in views) v.Dispose();
        }
        // NOTE: sum(dim: ...) with long dims: a literal int converts to the ScalarType? overload.
        var dA = Unpadded(dAPerChunk.sum(new long[] { 0, 1 }).t());                  // (n, d_in) -> (d_in, n)
        var dBC = dBCPerWarp.sum(dim: 1L);                                            // (b, l, slices, 2, 16)
        Tensor States(long which) => Unpadded(dBC.select(3, which).reshape(sizes.Batch, sizes.Length, sizes.N));
        return (du, dDelta, dA.contiguous(), States(0), States(1));
    }
}
