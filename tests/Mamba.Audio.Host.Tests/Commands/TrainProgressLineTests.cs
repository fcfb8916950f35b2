using Mamba.Audio.Host.Terminal;
using Mamba.Training.Runs;

namespace Mamba.Audio.Host.Tests.Commands;

public class TrainProgressLineTests
{
    private static readonly StepReport Report = new(10, 100, 3.5, 1e-3, 12345, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(45), 0);

    [Fact]
    public void BeforeTheFirstValidation_TheLineHasNoValField()
    {
        var line = ConsoleTrainingObserver.StepLine(Report, double.NaN);
        Assert.DoesNotContain("val", line);
        Assert.DoesNotContain("NaN", line);
        Assert.Contains("loss 3.5000 bits", line);
    }

    [Fact]
    public void AfterAValidation_TheLineShowsIt()
    {
        Assert.Contains("val 2.1250", ConsoleTrainingObserver.StepLine(Report, 2.125));
    }
}
