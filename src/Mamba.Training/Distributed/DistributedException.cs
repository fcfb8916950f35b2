namespace Mamba.Training.Distributed;

/// <summary>A data-parallel run cannot go on: a rank is missing, misconfigured, or failed; the message says which and what to do.</summary>
public sealed class DistributedException : Exception
{
    public DistributedException(string message) : base(message) { }
    public DistributedException(string message, Exception inner) : base(message, inner) { }
}
