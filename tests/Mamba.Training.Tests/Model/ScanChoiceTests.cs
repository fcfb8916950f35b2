using Mamba.Training.Model;
using Mamba.Core.Model;
using Mamba.Training.Scan;
using Mamba.Training.Tests.Support;
using static TorchSharp.torch;

namespace Mamba.Training.Tests.Model;

public class ScanChoiceTests
{
    [Fact]
    public void ModelsBuiltWithTheSameSeed_AreIdentical()
    {
        int seed = TestSeed.Fresh();
        var config = new MambaConfig(40, 2);
        using var a = new MambaLM(config, seed);
        using var b = new MambaLM(config, seed);
        var pb = b.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in a.named_parameters())
            Assert.True(p.allclose(pb[name], 0, 0), $"seed {seed}: {name} differs between two models of the same seed");
    }

    [Fact]
    public void FusedScans_GiveTheReferenceLogitsAndGradients()
    {
        int seed = TestSeed.Fresh();
        var config = new MambaConfig(40, 2);
        using var model = new MambaLM(config, seed);
        var tokens = randint(0, 256, new long[] { 3, 50 }, generator: new Generator((ulong)seed));
        var results = new List<(Tensor Logits, Dictionary<string, Tensor> Grads)>();
        foreach (var scan in new ISelectiveScan[] { ReferenceSelectiveScan.Instance, CpuSelectiveScan.Instance, IlgpuSelectiveScan.Instance })
        {
            model.UseScan(scan);
            model.zero_grad();
            var logits = model.forward(tokens);
            nn.functional.cross_entropy(logits[.., ..^1].reshape(-1, 256), tokens[.., 1..].reshape(-1)).backward();
            results.Add((logits.detach(), model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone())));
        }
        foreach (int i in new[] { 1, 2 })
        {
            string scan = i == 1 ? "cpu-fused" : "ilgpu";
            TensorAssert.Close(results[i].Logits, results[0].Logits, 1e-4, $"seed {seed}: logits, {scan} vs reference");
            foreach (var (name, grad) in results[0].Grads)
                TensorAssert.Close(results[i].Grads[name], grad, 1e-3, $"seed {seed}: gradient of {name}, {scan} vs reference");
        }
    }
}
