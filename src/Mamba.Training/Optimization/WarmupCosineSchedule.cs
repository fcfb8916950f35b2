namespace Mamba.Training.Optimization;

/// <summary>
/// Linear warm-up from 0 to the peak rate over <see cref="WarmupSteps"/>, then cosine decay to
/// <see cref="MinRatio"/> x peak at <see cref="TotalSteps"/> (and held there after).
/// </summary>
/// <param name="ExtendedAt">Set by <see cref="ExtendTo"/>: from this step on, a cosine from <paramref name="ExtendedRate"/> down to the minimum at the new total.</param>
public sealed record WarmupCosineSchedule(double PeakRate, long WarmupSteps, long TotalSteps, double MinRatio = 0.1,
    long? ExtendedAt = null, double? ExtendedRate = null)
{
    /// <summary>The learning rate for the update that follows step <paramref name="step"/> (0-based; after an extension, for steps from <see cref="ExtendedAt"/> on).</summary>
    public double RateAt(long step)
    {
        if (ExtendedAt is { } at && ExtendedRate is { } from && step >= at)
        {
            double min = PeakRate * MinRatio;
            double done = Math.Clamp((step - at) / (double)Math.Max(1, TotalSteps - at), 0, 1);
            return min + (from - min) * 0.5 * (1 + Math.Cos(Math.PI * done));
        }
        if (step < WarmupSteps) return PeakRate * (step + 1) / WarmupSteps;
        double span = Math.Max(1, TotalSteps - WarmupSteps);
        double progress = Math.Clamp((step - WarmupSteps) / span, 0, 1);
        double cosine = 0.5 * (1 + Math.Cos(Math.PI * progress));
        return PeakRate * (MinRatio + (1 - MinRatio) * cosine);
    }

    /// <summary>
    /// The schedule of a run lengthened to <paramref name="totalSteps"/> at <paramref name="atStep"/>:
    /// the rate goes on from where it is (no jump), in a new cosine that ends at the new total.
    /// During warm-up nothing has decayed yet, so only the end moves.
    /// </summary>
    public WarmupCosineSchedule ExtendTo(long totalSteps, long atStep) =>
        atStep < WarmupSteps && ExtendedAt is null
            ? this with { TotalSteps = totalSteps }
            : this with { TotalSteps = totalSteps, ExtendedAt = atStep, ExtendedRate = RateAt(atStep) };
}
