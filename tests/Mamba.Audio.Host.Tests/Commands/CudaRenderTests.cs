using Mamba.Audio.Host.Tests.Support;
using Mamba.Core.Cuda;

namespace Mamba.Audio.Host.Tests.Commands;

/// <summary>`render --engine cuda`: the CUDA engine writes, byte for byte, the file the CPU engine writes for a seed; without a GPU, a clear error.</summary>
public class CudaRenderTests : IDisposable
{
    private readonly TempFolder folder = new();
    private static readonly string Checkpoint = TestRepository.File("samples", "models", "digits-small");

    [Fact]
    public void WithoutAGpu_RenderSaysWhatIsMissing()
    {
        Assert.SkipWhen(CudaAccelerators.HasCuda, "this machine has a GPU: the other test runs");
        var result = HostRun.Run("render", "--checkpoint", Checkpoint, "--engine", "cuda", "--seconds", "0.5", "--out", folder.File("x.wav"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("the CUDA engine needs an NVIDIA GPU and its driver", result.Output);
        Assert.False(File.Exists(folder.File("x.wav")));
    }

    [Fact]
    public void OnTheGpu_TheTakesAreTheCpuEnginesByteForByte()
    {
        Assert.SkipUnless(CudaAccelerators.HasCuda, "no CUDA GPU on this machine");
        string cuda = folder.File("cuda.wav"), cpu = folder.File("cpu.wav");
        var a = HostRun.Run("render", "--checkpoint", Checkpoint, "--engine", "cuda", "--seed", "5", "--takes", "3", "--seconds", "3", "--out", cuda);
        Assert.True(a.ExitCode == 0, a.Output);
        Assert.Contains("device: CUDA", a.Output);
        var b = HostRun.Run("render", "--checkpoint", Checkpoint, "--engine", "cpu", "--seed", "5", "--takes", "3", "--seconds", "3", "--out", cpu);
        Assert.True(b.ExitCode == 0, b.Output);
        // Takes are named by rank of likelihood; compare them as a set of files (their hashes).
        static string[] Hashes(IEnumerable<string> files) => files.Select(f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))).Order().ToArray();
        Assert.Equal(Hashes(Enumerable.Range(1, 3).Select(r => folder.File($"cpu-take{r}.wav"))), Hashes(Enumerable.Range(1, 3).Select(r => folder.File($"cuda-take{r}.wav"))));
    }

    public void Dispose() => folder.Dispose();
}
