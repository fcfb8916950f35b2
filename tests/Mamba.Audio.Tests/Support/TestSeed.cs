namespace Mamba.Audio.Tests.Support;

/// <summary>A fresh seed per test run, printed by each test so a failing case can be replayed (MAMBA_TEST_SEED).</summary>
public static class TestSeed
{
    public static int Fresh() => Environment.GetEnvironmentVariable("MAMBA_TEST_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();
}
