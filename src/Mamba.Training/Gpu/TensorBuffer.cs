using ILGPU;
using ILGPU.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Gpu;

/// <summary>
/// An ILGPU buffer over memory that a TorchSharp tensor owns: kernels read and write the tensor
/// in place, with no copy. It never frees the memory; the tensor must outlive every launch that
/// uses the view. Works for CUDA tensors on a CUDA accelerator and for CPU tensors on ILGPU's CPU
/// accelerator (the pointer is then a host pointer), which is how the kernels are tested without a GPU.
/// </summary>
internal sealed class TensorBuffer : MemoryBuffer
{
    private TensorBuffer(Accelerator accelerator, IntPtr pointer, long length) : base(accelerator, length, sizeof(float))
    {
        NativePtr = pointer;
    }

    /// <summary>A float32 view of <paramref name="tensor"/>'s elements (contiguous, storage offset included).</summary>
    public static ArrayView<float> View(Accelerator accelerator, Tensor tensor, List<TensorBuffer> keepAlive)
    {
        if (tensor.dtype != ScalarType.Float32)
            throw new ArgumentException($"GPU scan kernels take float32 tensors, got {tensor.dtype}.");
        if (!tensor.is_contiguous())
            throw new ArgumentException("GPU scan kernels take contiguous tensors.");
        long length = Math.Max(1, tensor.numel());
        var buffer = new TensorBuffer(accelerator, Address(tensor), length);
        keepAlive.Add(buffer);
        return new ArrayView<float>(buffer, 0, tensor.numel());
    }

    /// <summary>
    /// Where a float32 tensor's first element lies (device memory for a CUDA tensor, host memory for a
    /// CPU one). TorchSharp 0.107 has no Tensor.data_ptr(): the storage's pointer plus the view's offset.
    /// </summary>
    public static IntPtr Address(Tensor tensor) => (IntPtr)(tensor.storage<float>().data_ptr() + tensor.storage_offset() * sizeof(float));

    protected override void MemSet(AcceleratorStream stream, byte value, in ArrayView<byte> targetView) =>
        throw new NotSupportedException("TensorBuffer is a view of a tensor; fill the tensor instead.");

    protected override void CopyFrom(AcceleratorStream stream, in ArrayView<byte> sourceView, in ArrayView<byte> targetView) =>
        throw new NotSupportedException("TensorBuffer is a view of a tensor; copy the tensor instead.");

    protected override void CopyTo(AcceleratorStream stream, in ArrayView<byte> sourceView, in ArrayView<byte> targetView) =>
        throw new NotSupportedException("TensorBuffer is a view of a tensor; copy the tensor instead.");

    // The tensor owns the memory.
    protected override void DisposeAcceleratorObject(bool disposing) { }
}
