using Mamba.Training.Model;
using Mamba.Core.Model;
using Mamba.Training.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Tests.Devices;

public class CudaModelTests
{
    [Fact]
    public void CudaForwardAndStep_MatchTheCpu()
    {
        var cuda = Cuda.RequireDevice();
        int seed = TestSeed.Fresh();
        using var _ = no_grad();
        var config = new MambaConfig(40, 2);
        using var cpuModel = new MambaLM(config, seed);
        using var gpuModel = new MambaLM(config, seed);
        gpuModel.to(cuda);
        var tokens = randint(0, 256, new long[] { 3, 50 }, generator: new Generator((ulong)seed));

        var cpuLogits = cpuModel.forward(tokens);
        var gpuLogits = gpuModel.forward(tokens.to(cuda));
        TensorAssert.Close(gpuLogits.cpu(), cpuLogits, 1e-4, $"seed {seed}, parallel logits on CUDA");

        using var state = gpuModel.AllocateState(3);
        for (int t = 0; t < 50; t++)
        {
            var stepped = gpuModel.Step(tokens[.., t].to(cuda), state);
            TensorAssert.Close(stepped.cpu(), cpuLogits[.., t], 1e-4, $"seed {seed}, CUDA step at position {t}");
        }
    }

    [Fact]
    public void CudaTrainingStep_GivesTheCpuGradients()
    {
        var cuda = Cuda.RequireDevice();
        int seed = TestSeed.Fresh();
        var config = new MambaConfig(24, 2);
        using var cpuModel = new MambaLM(config, seed);
        using var gpuModel = new MambaLM(config, seed);
        gpuModel.to(cuda);
        var tokens = randint(0, 256, new long[] { 2, 33 }, generator: new Generator((ulong)seed));
        foreach (var (model, device) in new[] { (cpuModel, CPU), (gpuModel, cuda) })
        {
            var logits = model.forward(tokens.to(device)[.., ..^1]);
            nn.functional.cross_entropy(logits.reshape(-1, 256), tokens.to(device)[.., 1..].reshape(-1)).backward();
        }
        var cpuGrads = cpuModel.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        foreach (var (name, p) in gpuModel.named_parameters())
            TensorAssert.Close(p.grad!.cpu(), cpuGrads[name], 1e-3, $"seed {seed}, gradient of {name}");
    }
}
