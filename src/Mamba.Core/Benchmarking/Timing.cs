using System.Diagnostics;

namespace Mamba.Core.Benchmarking;

/// <summary>The median, the statistic every benchmark here reports (robust to a descheduled run).</summary>
public static class Timing
{
    /// <summary>Median wall time in seconds of <paramref name="runs"/> calls of <paramref name="body"/>; warm up before.</summary>
    public static double MedianSeconds(int runs, Action body)
    {
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            body();
            times[i] = clock.Elapsed.TotalSeconds;
        }
        return Median(times);
    }

    /// <summary>The median of <paramref name="values"/> (sorted in place).</summary>
    public static double Median(double[] values)
    {
        Array.Sort(values);
        int n = values.Length;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }
}
