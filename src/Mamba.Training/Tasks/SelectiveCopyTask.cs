using static TorchSharp.torch;

namespace Mamba.Training.Tasks;

/// <summary>
/// The Selective Copying task of the Mamba paper (section 4.1.1): <see cref="Tokens"/> data tokens
/// drawn from a vocabulary of <see cref="Vocabulary"/> sit at random positions of a region of
/// <see cref="Length"/> noise tokens; then <see cref="Tokens"/> marker tokens follow, and at each
/// marker the model must output the next data token, in order. Solving it needs content-aware
/// (selective) memory: a time-invariant model cannot tell data from noise by position.
/// Classes: data 0..V-1, noise V, marker V+1.
/// </summary>
public sealed record SelectiveCopyTask(int Length, int Tokens, int Vocabulary)
{
    public int NoiseToken => Vocabulary;
    public int MarkerToken => Vocabulary + 1;

    /// <summary>Classes the model must cover: the data tokens, noise and marker.</summary>
    public int Classes => Vocabulary + 2;

    /// <summary>Length of one model input: the noisy region and the markers.</summary>
    public int SequenceLength => Length + Tokens;

    public SelectiveCopyTask Validate()
    {
        if (Tokens < 1 || Tokens > Length)
            throw new ArgumentException($"tokens = {Tokens}: must be in 1..length ({Length}).");
        if (Vocabulary < 2 || Vocabulary > 65536)
            throw new ArgumentException($"vocabulary = {Vocabulary}: must be in 2..65536.");
        return this;
    }

    /// <summary>
    /// A batch: inputs (b, length + tokens) int64 and targets (b, tokens) int64, the data tokens in
    /// the order they appeared.
    /// </summary>
    public (Tensor Inputs, Tensor Targets) Sample(int batch, Random random)
    {
        var inputs = new long[batch * SequenceLength];
        var targets = new long[batch * Tokens];
        var positions = new int[Length];
        for (int b = 0; b < batch; b++)
        {
            var row = inputs.AsSpan(b * SequenceLength, SequenceLength);
            row[..Length].Fill(NoiseToken);
            row[Length..].Fill(MarkerToken);
            // Partial Fisher-Yates: the first Tokens entries become distinct random positions.
            for (int i = 0; i < Length; i++) positions[i] = i;
            for (int i = 0; i < Tokens; i++)
            {
                int j = random.Next(i, Length);
                (positions[i], positions[j]) = (positions[j], positions[i]);
            }
            Array.Sort(positions, 0, Tokens);
            for (int i = 0; i < Tokens; i++)
            {
                long token = random.Next(Vocabulary);
                row[positions[i]] = token;
                targets[b * Tokens + i] = token;
            }
        }
        return (tensor(inputs, new long[] { batch, SequenceLength }), tensor(targets, new long[] { batch, Tokens }));
    }
}
