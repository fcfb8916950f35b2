using Mamba.Core.Sampling;

namespace Mamba.Core.Tests.Sampling;

public class TokenSamplerTests
{
    private static float[] RandomLogits(int seed, int v = 256, float scale = 3f)
    {
        var random = new Random(seed);
        var logits = new float[v];
        for (int i = 0; i < v; i++) logits[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return logits;
    }

    private static double[] Softmax(float[] logits, double temperature = 1)
    {
        double max = logits.Max();
        var p = logits.Select(l => Math.Exp((l - max) / temperature)).ToArray();
        double sum = p.Sum();
        return p.Select(x => x / sum).ToArray();
    }

    private static int[] Histogram(float[] logits, float temperature, float topP, ulong seed, int draws)
    {
        var counts = new int[logits.Length];
        var rng = new Pcg32(seed);
        var probs = new float[logits.Length];
        var order = new long[logits.Length];
        for (int i = 0; i < draws; i++) counts[TokenSampler.Sample(logits, temperature, topP, ref rng, probs, order, out _)]++;
        return counts;
    }

    /// <summary>Pearson's chi-square statistic over classes with an expected count of at least 5 (the rest pooled).</summary>
    private static (double chi2, int dof) ChiSquare(int[] counts, double[] p, int draws)
    {
        double chi2 = 0, pooledExpected = 0, pooledObserved = 0;
        int bins = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double e = p[i] * draws;
            if (e < 5) { pooledExpected += e; pooledObserved += counts[i]; continue; }
            chi2 += (counts[i] - e) * (counts[i] - e) / e;
            bins++;
        }
        if (pooledExpected > 0) { chi2 += (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected) / Math.Max(pooledExpected, 1e-9); bins++; }
        return (chi2, bins - 1);
    }

    [Fact]
    public void Pcg32_MatchesTheReferenceImplementation()
    {
        // pcg32-demo (pcg-c-basic): pcg32_srandom_r(&rng, 42u, 54u), first six outputs.
        var rng = new Pcg32(42, 54);
        uint[] expected = { 0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e };
        foreach (uint e in expected) Assert.Equal(e, rng.NextUInt());
    }

    [Fact]
    public void Pcg32_NextFloat_IsInTheUnitIntervalAndUniform()
    {
        var rng = new Pcg32(7);
        double sum = 0;
        for (int i = 0; i < 100_000; i++)
        {
            float u = rng.NextFloat();
            Assert.InRange(u, 0f, 0.99999994f);
            sum += u;
        }
        Assert.InRange(sum / 100_000, 0.495, 0.505);
    }

    [Fact]
    public void TemperatureZero_ReturnsTheArgmax_AndLeavesTheRngAlone()
    {
        int seed = TestSeed.Fresh();
        var logits = RandomLogits(seed);
        int argmax = Array.IndexOf(logits, logits.Max());
        var rng = new Pcg32(1);
        var before = rng;
        int token = TokenSampler.Sample(logits, 0f, 1f, ref rng, new float[256], new long[256], out double lp);
        Assert.Equal(argmax, token);
        Assert.Equal(before, rng);
        Assert.Equal(Math.Log(Softmax(logits)[argmax]), lp, 1e-5);
    }

    [Fact]
    public void TemperatureOne_DrawsFromTheSoftmax()
    {
        int seed = TestSeed.Fresh();
        var logits = RandomLogits(seed);
        const int draws = 200_000;
        var counts = Histogram(logits, 1f, 1f, (ulong)seed, draws);
        var (chi2, dof) = ChiSquare(counts, Softmax(logits), draws);
        // chi-square mean = dof, sd = sqrt(2 dof); 6 sd is far beyond chance (seed printed to replay).
        Assert.True(chi2 < dof + 6 * Math.Sqrt(2 * dof), $"seed {seed}: chi2 {chi2:F1} with {dof} degrees of freedom");
    }

    [Fact]
    public void Temperature_SharpensTheDistribution()
    {
        int seed = TestSeed.Fresh();
        var logits = RandomLogits(seed);
        const int draws = 100_000;
        var counts = Histogram(logits, 0.5f, 1f, (ulong)seed, draws);
        var (chi2, dof) = ChiSquare(counts, Softmax(logits, 0.5), draws);
        Assert.True(chi2 < dof + 6 * Math.Sqrt(2 * dof), $"seed {seed}: chi2 {chi2:F1} with {dof} degrees of freedom");
    }

    [Fact]
    public void TinyTopP_ReturnsTheArgmax()
    {
        int seed = TestSeed.Fresh();
        var logits = RandomLogits(seed);
        int argmax = Array.IndexOf(logits, logits.Max());
        var counts = Histogram(logits, 1f, 1e-6f, (ulong)seed, 1000);
        Assert.Equal(1000, counts[argmax]);
    }

    [Fact]
    public void TopPOne_IsTheFullDistribution()
    {
        int seed = TestSeed.Fresh();
        var logits = RandomLogits(seed);
        const int draws = 100_000;
        var counts = Histogram(logits, 1f, 1f, (ulong)seed, draws);
        var (chi2, dof) = ChiSquare(counts, Softmax(logits), draws);
        Assert.True(chi2 < dof + 6 * Math.Sqrt(2 * dof), $"seed {seed}: chi2 {chi2:F1}, dof {dof}");
        Assert.True(counts.Count(c => c > 0) > 200, "top-p 1 reaches the tail classes");
    }

    [Fact]
    public void TopP_DrawsOnlyFromTheNucleus_InProportion()
    {
        int seed = TestSeed.Fresh();
        var logits = RandomLogits(seed, scale: 6f);
        var p = Softmax(logits);
        var byMass = Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ThenBy(i => i).ToArray();
        const double topP = 0.5;
        int size = 0;
        double mass = 0;
        while (mass < topP) mass += p[byMass[size++]];
        var nucleus = byMass[..size].ToHashSet();

        const int draws = 100_000;
        var counts = Histogram(logits, 1f, (float)topP, (ulong)seed, draws);
        for (int i = 0; i < counts.Length; i++)
            if (!nucleus.Contains(i)) Assert.True(counts[i] == 0, $"seed {seed}: class {i} outside the nucleus drawn {counts[i]} times");
        var renormalised = p.Select((x, i) => nucleus.Contains(i) ? x / mass : 0).ToArray();
        var (chi2, dof) = ChiSquare(counts, renormalised, draws);
        Assert.True(chi2 < dof + 6 * Math.Sqrt(2 * Math.Max(dof, 1)), $"seed {seed}: chi2 {chi2:F1}, dof {dof}");
    }

    [Fact]
    public void SameSeed_SameDraws()
    {
        int seed = TestSeed.Fresh();
        var logits = RandomLogits(seed);
        Assert.Equal(Histogram(logits, 0.8f, 0.9f, 99, 5000), Histogram(logits, 0.8f, 0.9f, 99, 5000));
    }

    [Fact]
    public void LogProb_IsTheUntemperedLogSoftmax()
    {
        int seed = TestSeed.Fresh();
        var logits = RandomLogits(seed);
        var p = Softmax(logits);
        var rng = new Pcg32((ulong)seed);
        for (int i = 0; i < 50; i++)
        {
            int token = TokenSampler.Sample(logits, 0.7f, 0.9f, ref rng, new float[256], new long[256], out double lp);
            Assert.Equal(Math.Log(p[token]), lp, 1e-5);
        }
    }

    [Fact]
    public void Sample_DoesNotAllocate()
    {
        var logits = RandomLogits(3);
        var probs = new float[256];
        var order = new long[256];
        var rng = new Pcg32(5);
        for (int i = 0; i < 100; i++) TokenSampler.Sample(logits, 0.9f, 0.9f, ref rng, probs, order, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            TokenSampler.Sample(logits, 0.9f, 0.9f, ref rng, probs, order, out _);
            TokenSampler.Sample(logits, 1f, 1f, ref rng, probs, order, out _);
            TokenSampler.Sample(logits, 0f, 1f, ref rng, probs, order, out _);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
