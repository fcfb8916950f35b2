using Mamba.Training.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Training.Distributed;

/// <summary>
/// What data parallelism adds to a training step: parameters broadcast from rank 0 at the start,
/// gradients averaged over the ranks in flat buckets after the backward pass, and one small
/// reduction a step that agrees the loss and whether to stop (Ctrl-C or the time budget on any
/// rank stops every rank after the same step, so they never wait on one another forever).
/// </summary>
/// <remarks>
/// The buckets are reduced after the whole backward pass, not overlapped with it: TorchSharp 0.107
/// exposes no gradient hooks to start a bucket's reduction when its last gradient is ready.
/// </remarks>
public sealed class DataParallel : IDisposable
{
    /// <summary>Floats a bucket holds at most (25 MiB, the size torch's DDP uses by default).</summary>
    public const long BucketFloats = 25L * 1024 * 1024 / sizeof(float);

    private readonly ICollective collective;
    private Parameter[] parameters = [];
    private readonly List<(int First, int End, long Floats)> buckets = [];

    public DataParallel(ICollective collective)
    {
        this.collective = collective;
    }

    /// <summary>The model whose parameters and gradients are kept in step; every rank attaches the same architecture.</summary>
    public void Attach(AudioModel model)
    {
        parameters = model.Module.parameters().Where(p => p.requires_grad).ToArray();
        buckets.Clear();
        int first = 0;
        long floats = 0;
        for (int i = 0; i < this.parameters.Length; i++)
        {
            long n = this.parameters[i].numel();
            if (floats > 0 && floats + n > BucketFloats)
            {
                buckets.Add((first, i, floats));
                (first, floats) = (i, 0);
            }
            floats += n;
        }
        if (floats > 0) buckets.Add((first, this.parameters.Length, floats));
    }

    public int Rank => collective.Rank;
    public int Size => collective.Size;
    public bool IsLeader => Rank == 0;
    public string Description => $"{Size} ranks, {collective.Description}, {buckets.Count} gradient bucket(s)";

    /// <summary>Every rank's parameters become rank 0's.</summary>
    public void BroadcastParameters()
    {
        using var _ = no_grad();
        foreach (var (first, end, _) in buckets)
        {
            using var scope = NewDisposeScope();
            var flat = cat(parameters[first..end].Select(p => p.detach().reshape(-1)).ToArray());
            collective.Broadcast(flat);
            Scatter(flat, first, end, p => p);
        }
    }

    /// <summary>Each gradient becomes the mean over the ranks (every rank holds an equal share of the batch).</summary>
    public void AverageGradients()
    {
        using var _ = no_grad();
        foreach (var (first, end, _) in buckets)
        {
            using var scope = NewDisposeScope();
            var flat = cat(parameters[first..end].Select(p => p.grad is { } g ? g.reshape(-1) : zeros_like(p).reshape(-1)).ToArray());
            collective.AllReduceSum(flat);
            flat.div_(Size);
            Scatter(flat, first, end, p => p.grad ?? throw new InvalidOperationException("a parameter has no gradient after the backward pass."));
        }
    }

    /// <summary>The mean of the ranks' losses, and whether any rank asked to stop.</summary>
    public (double MeanLoss, bool Stop) Agree(double loss, bool stop, Device device)
    {
        using var scope = NewDisposeScope();
        var v = tensor(new[] { (float)loss, stop ? 1f : 0f }, device: device);
        collective.AllReduceSum(v);
        var host = v.cpu().data<float>().ToArray();
        return (host[0] / Size, host[1] > 0);
    }

    private void Scatter(Tensor flat, int first, int end, Func<Parameter, Tensor> target)
    {
        long offset = 0;
        for (int i = first; i < end; i++)
        {
            var p = parameters[i];
            long n = p.numel();
            target(p).copy_(flat.narrow(0, offset, n).view(p.shape));
            offset += n;
        }
    }

    public void Dispose() => collective.Dispose();
}
