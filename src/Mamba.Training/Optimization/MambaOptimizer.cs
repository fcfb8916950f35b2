using Mamba.Core.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Training.Optimization;

/// <summary>
/// AdamW over a Mamba model with two parameter groups: weight decay on the matrices, none on
/// A_log, D, norm weights and biases (mamba_ssm marks A_log and D _no_weight_decay; decaying
/// norm gains and biases only pulls them to zero).
/// </summary>
public static class MambaOptimizer
{
    /// <summary>True for the parameters that get no weight decay.</summary>
    public static bool IsNoDecay(string name) =>
        name.EndsWith(".A_log", StringComparison.Ordinal) || name.EndsWith(".D", StringComparison.Ordinal)
        || name.EndsWith(".bias", StringComparison.Ordinal) || name.Contains("norm", StringComparison.Ordinal);

    public static AdamW Create(nn.Module model, double learningRate, double weightDecay,
        double beta1 = 0.9, double beta2 = 0.95, double eps = 1e-8)
    {
        var named = model.named_parameters().ToList();
        var decay = named.Where(p => !IsNoDecay(p.name)).Select(p => p.parameter).ToList();
        var noDecay = named.Where(p => IsNoDecay(p.name)).Select(p => p.parameter).ToList();
        var groups = new[]
        {
            new AdamW.ParamGroup(decay, new AdamW.Options { weight_decay = weightDecay }),
            new AdamW.ParamGroup(noDecay, new AdamW.Options { weight_decay = 0.0 }),
        };
        return optim.AdamW(groups, learningRate, beta1, beta2, eps, weightDecay);
    }

    /// <summary>Sets the rate of every group (the schedule drives it step by step).</summary>
    public static void SetLearningRate(optim.Optimizer optimizer, double rate)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = rate;
    }
}
