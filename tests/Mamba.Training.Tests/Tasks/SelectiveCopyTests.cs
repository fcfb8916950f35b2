using Mamba.Core.Model;
using Mamba.Training.Model;
using Mamba.Training.Tasks;
using static TorchSharp.torch;

namespace Mamba.Training.Tests.Tasks;

public class SelectiveCopyTests
{
    /// <summary>A check between training steps must not leave the model in eval mode (nor switch an evaluated model to training).</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Evaluate_LeavesTheModelInTheModeItFound(bool training)
    {
        var task = new SelectiveCopyTask(16, 4, 4).Validate();
        using var model = new MambaLM(new MambaConfig(16, 1, VocabSize: task.Classes), 5);
        if (training) model.train(); else model.eval();
        var (token, sequence) = SelectiveCopyBenchmark.Evaluate(model, task, 8, 4, CPU, new Random(1));
        Assert.Equal(training, model.training);
        Assert.InRange(token, 0, 1);
        Assert.InRange(sequence, 0, token);
    }
}
