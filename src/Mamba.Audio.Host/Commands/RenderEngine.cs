using Mamba.Core.Engines;

namespace Mamba.Audio.Host.Commands;

/// <summary>The engine a render runs on, how it primes prompts, its name for reports, and what else it owns (a torch model).</summary>
public sealed record RenderEngine(IStepEngine Engine, IPromptPrimer? Primer, string Name, IDisposable? Owned) : IDisposable
{
    public void Dispose()
    {
        Engine.Dispose();
        Owned?.Dispose();
    }
}
