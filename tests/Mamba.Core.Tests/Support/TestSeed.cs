namespace Mamba.Core.Tests.Support;

/// <summary>A fresh seed per test run, printed on failure so a failing case can be replayed.</summary>
public static class TestSeed
{
    public static int Fresh() => Environment.GetEnvironmentVariable("MAMBA_TEST_SEED") is { } s ? int.Parse(s) : Random.Shared.Next();
}
