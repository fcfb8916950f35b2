using Mamba.Audio.Tests.Support;

namespace Mamba.Audio.Tests.MuLawCodec;

public class MuLawTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(0f, 128)]
    [InlineData(1f, 255)]
    [InlineData(-1f, 0)]
    [InlineData(1e-5f, 128)]
    [InlineData(-1e-5f, 127)]      // classes are half-open: 0 is the bottom edge of 128
    [InlineData(0.001f, 133)]
    [InlineData(-0.001f, 122)]
    [InlineData(0.5f, 239)]
    [InlineData(-0.5f, 16)]
    [InlineData(2f, 255)]          // clamped
    [InlineData(-7f, 0)]
    [InlineData(float.PositiveInfinity, 255)]
    [InlineData(float.NegativeInfinity, 0)]
    [InlineData(float.NaN, 128)]   // NaN is silence, by decision (see MuLaw)
    public void Encode_GivesTheKnownClass(float sample, int expected)
    {
        Assert.Equal(expected, MuLaw.Encode(sample));
        Span<byte> q = stackalloc byte[9];
        Span<float> x = stackalloc float[9];
        x.Fill(sample);                      // 8 through the vector path, 1 through the scalar tail
        MuLaw.Encode(x, q);
        foreach (byte b in q) Assert.Equal(expected, b);
    }

    [Fact]
    public void Encode_OfNegativeZero_IsSilence()
    {
        Assert.Equal(MuLaw.Silence, MuLaw.Encode(-0f));
        var q = new byte[8];
        MuLaw.Encode(new float[] { -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f }, q);
        Assert.All(q, b => Assert.Equal(MuLaw.Silence, b));
    }

    [Fact]
    public void Decode_OfEveryClass_EncodesBackToThatClass()
    {
        for (int q = 0; q < MuLaw.Classes; q++) Assert.Equal(q, MuLaw.Encode(MuLaw.Decode((byte)q)));
        Assert.Equal(-1f, MuLaw.Decode(0));
        Assert.Equal(1f, MuLaw.Decode(255));
        Assert.InRange(MuLaw.Decode(MuLaw.Silence), 0f, 1e-4f);
    }

    [Fact]
    public void RoundTrip_StaysWithinOneQuantisationStep()
    {
        int seed = TestSeed.Fresh();
        var random = new Random(seed);
        var x = new float[100_000];
        for (int i = 0; i < x.Length; i++)
            x[i] = (float)(Math.Sign(random.NextDouble() - 0.5) * Math.Pow(random.NextDouble(), 3));   // dense near 0, where steps are small
        var q = new byte[x.Length];
        var y = new float[x.Length];
        MuLaw.Encode(x, q);
        MuLaw.Decode(q, y);

        double maxError = 0, meanError = 0, maxRatio = 0;
        for (int i = 0; i < x.Length; i++)
        {
            // The step of class q is the distance to its nearer-in-size neighbour centre.
            int c = q[i];
            double step = Math.Max(c < 255 ? MuLaw.Decode((byte)(c + 1)) - MuLaw.Decode((byte)c) : 0,
                                   c > 0 ? MuLaw.Decode((byte)c) - MuLaw.Decode((byte)(c - 1)) : 0);
            double error = Math.Abs(y[i] - x[i]);
            maxError = Math.Max(maxError, error);
            meanError += error / x.Length;
            maxRatio = Math.Max(maxRatio, error / step);
        }
        output.WriteLine($"seed {seed}: max error {maxError:E3}, mean error {meanError:E3}, max error / step {maxRatio:F3}");
        Assert.True(maxRatio <= 1.0, $"seed {seed}: an error reached {maxRatio:F3} quantisation steps");
    }

    [Fact]
    public void VectorEncode_MatchesScalarReference_OnRandomInputs()
    {
        int seed = TestSeed.Fresh();
        var random = new Random(seed);
        var x = new float[100_003];         // not a multiple of 8: the tail goes through the scalar path
        for (int i = 0; i < x.Length; i++)
            x[i] = random.Next(50) switch
            {
                0 => float.NaN,
                1 => float.PositiveInfinity,
                2 => float.NegativeInfinity,
                3 => (float)(random.NextDouble() * 20 - 10),
                _ => (float)(random.NextDouble() * 2 - 1),
            };
        AssertVectorMatchesScalar(x, $"seed {seed}");
    }

    [Fact]
    public void VectorEncode_MatchesScalarReference_NearEveryClassBoundary()
    {
        // The vector and scalar logarithms can only disagree at a class boundary; sweep the 2,000
        // floats on either side of each of the 255 boundaries.
        var x = new List<float>();
        for (int k = 1; k < MuLaw.Classes; k++)
        {
            double y = (k - 0.5) / 127.5 - 1;                               // boundary between classes k-1 and k
            float edge = (float)Math.CopySign((Math.Pow(256, Math.Abs(y)) - 1) / 255, y);
            float v = edge;
            for (int i = 0; i < 2000; i++) v = MathF.BitDecrement(v);
            for (int i = 0; i < 4001; i++, v = MathF.BitIncrement(v)) x.Add(v);
        }
        AssertVectorMatchesScalar(x.ToArray(), "boundary sweep");
    }

    [Fact]
    public void Decode_Span_MatchesScalarReference_ForEveryClass()
    {
        var q = new byte[MuLaw.Classes];
        for (int i = 0; i < q.Length; i++) q[i] = (byte)i;
        var x = new float[q.Length];
        MuLaw.Decode(q, x);
        for (int i = 0; i < q.Length; i++) Assert.Equal(MuLaw.Decode((byte)i), x[i]);
    }

    [Fact]
    public void SpanMethods_RejectMismatchedLengths()
    {
        Assert.Throws<ArgumentException>(() => MuLaw.Encode(new float[3], new byte[2]));
        Assert.Throws<ArgumentException>(() => MuLaw.Decode(new byte[3], new float[4]));
    }

    private void AssertVectorMatchesScalar(float[] x, string label)
    {
        var fast = new byte[x.Length];
        MuLaw.Encode(x, fast);
        int mismatches = 0, maxDifference = 0;
        for (int i = 0; i < x.Length; i++)
        {
            int difference = Math.Abs(fast[i] - MuLaw.Encode(x[i]));
            if (difference != 0) mismatches++;
            maxDifference = Math.Max(maxDifference, difference);
        }
        output.WriteLine($"{label}: {x.Length} inputs, {mismatches} mismatches, max class difference {maxDifference}");
        Assert.Equal(0, mismatches);
    }
}
