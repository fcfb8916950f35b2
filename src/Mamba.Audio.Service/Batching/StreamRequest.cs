using Mamba.Core.Sampling;

namespace Mamba.Audio.Service.Batching;

/// <summary>What a stream asks of its model's batch.</summary>
/// <param name="Prompt">Mu-law classes at the model's rate, primed in chunks before the stream generates; null = none.</param>
/// <param name="TotalSamples">Classes to generate in all (model rate); long.MaxValue = until stopped.</param>
/// <param name="RingSamples">The stream's ring (rounded up to a power of two): how far generation may run ahead of what the session took.</param>
public sealed record StreamRequest(SamplingSettings Sampling, byte[]? Prompt, long TotalSamples, int RingSamples);
