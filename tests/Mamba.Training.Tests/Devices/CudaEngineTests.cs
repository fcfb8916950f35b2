using Mamba.Core.Engines.Cpu;
using Mamba.Training.Engines;
using Mamba.Core.Engines;
using Mamba.Core.Model;
using Mamba.Training.Tests.Engines;
using Mamba.Training.Tests.Support;
using TorchSharp;

namespace Mamba.Training.Tests.Devices;

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
        const int streams = 3;
        using var cpu = new CpuStepEngine(cpuModel.ToCpuWeights(), streams);
        using var gpu = new TorchStepEngine(gpuModel, streams);
        StepEngineTests.TeacherForceBoth(cpu, gpu, config, steps: 1000, every: 100, streams, seed);
    }
}
