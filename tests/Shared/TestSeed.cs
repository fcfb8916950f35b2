namespace Mamba.Testing;

/// <summary>
/// A fresh seed per test run, shared by every test project. Each seed drawn is written to the
/// test's output (shown with a failing test), and MAMBA_TEST_SEED=N replays a run with N.
/// </summary>
public static class TestSeed
{
    public const string Variable = "MAMBA_TEST_SEED";

    /// <summary>MAMBA_TEST_SEED when set, otherwise a fresh random seed; logged to the running test's output.</summary>
    public static int Fresh()
    {
        int seed;
        var text = Environment.GetEnvironmentVariable(Variable);
        if (text is null) seed = Random.Shared.Next(1, int.MaxValue);
        else if (!int.TryParse(text, out seed))
            throw new InvalidOperationException($"{Variable}='{text}' is not an integer seed.");
        TestContext.Current.TestOutputHelper?.WriteLine($"seed {seed} (replay with {Variable}={seed})");
        return seed;
    }
}
