namespace Mamba.Training.Optimization;

/// <summary>
/// Linear warm-up from 0 to the peak rate over <see cref="WarmupSteps"/>, then cosine decay to
/// <see cref="MinRatio"/> x peak at <see cref="TotalSteps"/> (and held there after).
/// </summary>
public sealed record WarmupCosineSchedule(double PeakRate, long WarmupSteps, long TotalSteps, double MinRatio = 0.1)
{
    /// <summary>The learning rate for the update that follows step <paramref name="step"/> (0-based).</summary>
    public double RateAt(long step)
    {
        if (step < WarmupSteps) return PeakRate * (step + 1) / WarmupSteps;
        double span = Math.Max(1, TotalSteps - WarmupSteps);
        double progress = Math.Clamp((step - WarmupSteps) / span, 0, 1);
        double cosine = 0.5 * (1 + Math.Cos(Math.PI * progress));
        return PeakRate * (MinRatio + (1 - MinRatio) * cosine);
    }
}
