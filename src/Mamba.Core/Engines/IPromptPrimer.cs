namespace Mamba.Core.Engines;

/// <summary>
/// How a prompt becomes the state of open streams. The engine's own <see cref="IStepEngine.Prime"/>
/// (<see cref="StepPrimer"/>) steps the prompt in constant memory; Mamba.Training's forward primer
/// runs one parallel pass of the TorchSharp model instead. Either leaves the state after
/// prompt[..^1] with prompt[^1] pending.
/// </summary>
public interface IPromptPrimer
{
    /// <summary>Primes every slot of <paramref name="slots"/> (open streams of <paramref name="engine"/>) with <paramref name="prompt"/> (mu-law classes, at least one).</summary>
    void Prime(IStepEngine engine, ReadOnlySpan<int> slots, ReadOnlySpan<byte> prompt);
}

/// <summary>Primes through the engine's own step: constant memory, any prompt length.</summary>
public sealed class StepPrimer : IPromptPrimer
{
    public static StepPrimer Instance { get; } = new();

    public void Prime(IStepEngine engine, ReadOnlySpan<int> slots, ReadOnlySpan<byte> prompt)
    {
        foreach (int slot in slots) engine.Prime(slot, prompt);
    }
}
