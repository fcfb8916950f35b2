using Mamba.Core.Engines;
using Mamba.Core.Model;
using Mamba.Core.Sampling;
using Mamba.Core.Tests.Engines;
using Mamba.Core.Tests.Support;
using TorchSharp;

namespace Mamba.Core.Tests.Devices;

public class CudaEngineTests
{
    [Fact]
    public void TorchEngineOnCuda_MatchesTheCpuEngine_Over1000TeacherForcedSteps()
    {
        var cuda = Cuda.RequireDevice();
        int seed = TestSeed.Fresh();
        var config = new MambaConfig(64, 4);
        using var cpuModel = EngineTestModels.Create(config, seed);
        using var gpuModel = EngineTestModels.Create(config, seed);
        gpuModel.to(cuda);
        const int streams = 3, steps = 1000;
        using var cpu = new CpuStepEngine(cpuModel, streams);
        using var gpu = new TorchStepEngine(gpuModel, streams);
        for (int s = 0; s < streams; s++) { cpu.Open(SamplingSettings.Default()); gpu.Open(SamplingSettings.Default()); }
        var tokens = Enumerable.Range(0, streams).Select(s => EngineTestModels.RandomTokens(seed + s, steps)).ToArray();
        var next = new byte[streams];
        var cpuLogits = new float[streams * config.VocabSize];
        var gpuLogits = new float[streams * config.VocabSize];
        for (int t = 0; t < steps; t++)
        {
            for (int s = 0; s < streams; s++) next[s] = tokens[s][t];
            bool check = t % 100 == 99;
            cpu.TeacherForce(next, check ? cpuLogits : default);
            gpu.TeacherForce(next, check ? gpuLogits : default);
            if (check) ArrayAssert.Close(gpuLogits, cpuLogits, 1e-4, $"seed {seed}, CUDA torch engine vs CPU engine, step {t}");
        }
    }
}
