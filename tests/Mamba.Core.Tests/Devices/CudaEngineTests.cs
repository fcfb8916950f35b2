using Mamba.Core.Engines;
using Mamba.Core.Model;
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
        const int streams = 3;
        using var cpu = new CpuStepEngine(cpuModel, streams);
        using var gpu = new TorchStepEngine(gpuModel, streams);
        StepEngineTests.TeacherForceBoth(cpu, gpu, config, steps: 1000, every: 100, streams, seed);
    }
}
