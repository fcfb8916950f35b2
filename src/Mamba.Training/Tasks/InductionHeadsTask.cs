using static TorchSharp.torch;

namespace Mamba.Training.Tasks;

/// <summary>
/// The Induction Heads task of the Mamba paper (section 4.1.2, after Olsson et al. and H3): a
/// sequence of <see cref="Length"/> tokens drawn uniformly from <see cref="Vocabulary"/> symbols holds
/// the trigger once, somewhere before the last two positions; the last token is the trigger again,
/// and there the model must output the symbol that followed the first trigger. Solving it needs
/// associative recall at any distance, so a model trained at one length can be tested at longer
/// ones (the paper: trained at 256, solved out to 2^20).
/// Classes: symbols 0..V-1, trigger V. Only the last position is scored.
/// </summary>
public sealed record InductionHeadsTask(int Length, int Vocabulary)
{
    public int TriggerToken => Vocabulary;

    /// <summary>Classes the model must cover: the symbols and the trigger.</summary>
    public int Classes => Vocabulary + 1;

    public const int MaxLength = 1 << 24;

    public InductionHeadsTask Validate()
    {
        if (Length < 4 || Length > MaxLength)
            throw new ArgumentException($"length = {Length}: must be in 4..{MaxLength} (the trigger, its symbol and the final trigger need room).");
        if (Vocabulary < 2 || Vocabulary > 65536)
            throw new ArgumentException($"vocabulary = {Vocabulary}: must be in 2..65536.");
        return this;
    }

    /// <summary>
    /// A batch: inputs (b, length) int64 and the answers (b) int64. The first trigger sits at a
    /// uniform position in [0, length - 3], so its symbol is a drawn one, never the final trigger.
    /// </summary>
    public (Tensor Inputs, Tensor Answers) Sample(int batch, Random random)
    {
        var inputs = new long[(long)batch * Length];
        var answers = new long[batch];
        for (int b = 0; b < batch; b++)
        {
            var row = inputs.AsSpan(b * Length, Length);
            for (int i = 0; i < Length; i++) row[i] = random.Next(Vocabulary);
            int first = random.Next(Length - 2);
            row[first] = TriggerToken;
            answers[b] = row[first + 1];
            row[Length - 1] = TriggerToken;
        }
        return (tensor(inputs, new long[] { batch, Length }), tensor(answers, new long[] { batch }));
    }
}
