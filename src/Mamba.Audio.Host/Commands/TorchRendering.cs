using Mamba.Audio.Host.Terminal;
using Mamba.Core.Checkpoints;
using Mamba.Core.Engines;
using Mamba.Training.Checkpoints;
using Mamba.Training.Engines;
using static TorchSharp.torch;

namespace Mamba.Audio.Host.Commands;

/// <summary>
/// The render engines that need libtorch: the TorchSharp reference engine, and the CPU engine with
/// prompts primed by a parallel forward. Kept apart from <see cref="RenderCommand"/> so the CPU path
/// never touches a torch type (and libtorch is never loaded for it).
/// </summary>
internal static class TorchRendering
{
    public static RenderEngine Build(LoadedCheckpoint checkpoint, string path, RenderCommand.Settings settings)
    {
        if (settings.UsesTorchEngine)
        {
            var device = Startup.ResolveDevice(settings.Device);
            var model = MambaModelCheckpoint.Load(checkpoint, path, device, out _);
            return new RenderEngine(new TorchStepEngine(model, settings.Takes), null, $"torch ({device.type})", model);
        }
        // The CPU engine, primed by one forward of the same weights on the CPU.
        var cpuModel = MambaModelCheckpoint.Load(checkpoint, path, CPU, out _);
        var engine = RenderCommand.CpuEngine(checkpoint, settings, out string name);
        name += ", prompt primed by a torch forward";
        Startup.PrintCpu(name);
        return new RenderEngine(engine, new ForwardPriming(cpuModel), name, cpuModel);
    }
}
