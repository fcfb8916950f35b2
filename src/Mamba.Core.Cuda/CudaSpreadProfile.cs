namespace Mamba.Core.Cuda;

/// <summary>
/// Where a step of <see cref="CudaSpreadStepKernel"/> spends its time, phase by phase, from the clock stamps its groups'
/// first threads write while profiling (<see cref="CudaStepEngine.ProfileSpread"/>). A phase ends at the barrier or
/// gather that closes it, so an exchange's time is the wait for the slowest part plus the trip through L2, and a
/// compute phase's is its own arithmetic and loads. Cycles are each multiprocessor's own clock (clock64).
/// </summary>
public sealed record CudaSpreadProfile(int Parts, int StepsMeasured, double ClockMHz, IReadOnlyList<CudaSpreadPhase> Phases)
{
    /// <summary>Names of a step's phases in order, the layer phases once (they are summed over the layers).</summary>
    public static readonly string[] StepPhases = ["embedding, failure flag"];
    public static readonly string[] LayerPhases =
        ["norm, in_proj", "conv", "x_proj (own channels)", "x_proj exchange", "ssm", "y exchange", "out_proj", "residual exchange"];
    public static readonly string[] HeadPhases =
        ["final norm, head", "logits exchange", "sampling: max", "sampling: exps", "sampling: lane sums", "sampling: top-p ranks", "sampling: draw"];

    /// <summary>Stamps a step writes: one at its start and one at the end of each phase.
    /// Constants, not the arrays' lengths: device code calls it, and a kernel cannot read a static array.</summary>
    public static int StampsPerStep(int layers) => 1 + StepPhaseCount + layers * LayerPhaseCount + HeadPhaseCount;

    private const int StepPhaseCount = 1, LayerPhaseCount = 8, HeadPhaseCount = 7;

    /// <summary>Steps at the start of a launch left out of the means (the first loads of every weight).</summary>
    public const int WarmSteps = 8;

    /// <summary>Cycles of a whole step, the parts' mean.</summary>
    public double CyclesPerStep => Phases.Sum(p => p.MeanCycles);

    /// <summary>
    /// Means over steps <see cref="WarmSteps"/>.. of each phase's cycles (summed over layers), then the mean and the
    /// largest over parts, from the raw stamps: [part][step][stamp].
    /// </summary>
    public static CudaSpreadProfile FromStamps(long[] stamps, int parts, int steps, int layers, double clockMHz)
    {
        int perStep = StampsPerStep(layers);
        if (stamps.Length != (long)parts * steps * perStep) throw new ArgumentException($"{stamps.Length} stamps; {parts} parts x {steps} steps x {perStep} expected.", nameof(stamps));
        int first = steps > WarmSteps ? WarmSteps : 0, measured = steps - first;
        var names = StepPhases.Concat(LayerPhases).Concat(HeadPhases).ToArray();
        var sums = new double[parts, names.Length];
        for (int b = 0; b < parts; b++)
            for (int s = first; s < steps; s++)
            {
                long at = ((long)b * steps + s) * perStep;
                for (int k = 1; k < perStep; k++)
                {
                    int phase = k - 1 < StepPhases.Length ? k - 1
                        : k - 1 < StepPhases.Length + layers * LayerPhases.Length ? StepPhases.Length + (k - 1 - StepPhases.Length) % LayerPhases.Length
                        : StepPhases.Length + LayerPhases.Length + (k - 1 - StepPhases.Length - layers * LayerPhases.Length);
                    sums[b, phase] += stamps[at + k] - stamps[at + k - 1];
                }
            }
        var phases = new CudaSpreadPhase[names.Length];
        for (int p = 0; p < names.Length; p++)
        {
            double mean = 0, max = 0;
            for (int b = 0; b < parts; b++)
            {
                double perPart = sums[b, p] / Math.Max(1, measured);
                mean += perPart / parts;
                max = Math.Max(max, perPart);
            }
            phases[p] = new CudaSpreadPhase(names[p], mean, max);
        }
        return new CudaSpreadProfile(parts, measured, clockMHz, phases);
    }
}

/// <summary>One phase's cycles a step: the mean over parts and the slowest part's.</summary>
public sealed record CudaSpreadPhase(string Name, double MeanCycles, double MaxCycles);
