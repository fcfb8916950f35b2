using TorchSharp;

namespace Mamba.Training.Devices;

/// <summary>
/// How libtorch computes float32 matrix products (and convolutions) on CUDA. "tf32" lets cuBLAS and
/// cuDNN round the inputs to TF32 (a 10-bit mantissa, float32's range) and run them on the tensor
/// cores, summing in float32: the same weights, activations and optimiser, in float32 storage.
/// "fp32" is exact float32 (libtorch's own default). The setting is the process's, as in PyTorch.
/// </summary>
public static class MatmulPrecision
{
    public static readonly IReadOnlyList<string> Names = ["fp32", "tf32"];

    /// <summary>Sets libtorch's precision for <paramref name="device"/>; refuses an unknown name and tf32 off CUDA.</summary>
    public static void Apply(string name, torch.Device device)
    {
        if (!Names.Contains(name))
            throw new ArgumentException($"matrix product precision '{name}': expected {string.Join(" or ", Names)}.");
        if (device.type != DeviceType.CUDA)
        {
            if (name == "tf32")
                throw new ArgumentException($"--matmul tf32 is a CUDA tensor-core format; on {device} every product is float32 (use --matmul fp32 or --device cuda).");
            return;
        }
        bool tf32 = name == "tf32";
        torch.backends.cuda.matmul.allow_tf32 = tf32;
        torch.backends.cudnn.allow_tf32 = tf32;
    }
}
