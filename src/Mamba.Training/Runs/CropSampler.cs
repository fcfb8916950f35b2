using Mamba.Audio.Corpora;

namespace Mamba.Training.Runs;

/// <summary>
/// Random crops of <see cref="CropLength"/> + 1 samples (inputs and next-sample targets) from one
/// split of a corpus, read through its memory map. Every start position of every file long enough
/// is equally likely. Crop i of batch <c>step</c> depends only on (seed, step, i).
/// </summary>
public sealed class CropSampler
{
    private readonly AudioCorpus corpus;
    private readonly CorpusSegment[] segments;
    private readonly long[] cumulativeStarts;   // cumulativeStarts[k] = start positions in segments[0..k]
    private readonly ulong seed, stream;

    public CropSampler(AudioCorpus corpus, CorpusSplit split, int cropLength, long seed)
    {
        if (cropLength < 1) throw new ArgumentOutOfRangeException(nameof(cropLength), cropLength, "the crop length must be at least 1");
        this.corpus = corpus;
        CropLength = cropLength;
        this.seed = (ulong)seed;
        stream = (ulong)split;
        if (corpus.Segments(split).Count == 0)
            throw new ArgumentException(split == CorpusSplit.Validation
                ? "the corpus has no validation split (prepare held nothing out: see its summary or manifest.json's splitNote); " +
                  "re-run prepare with --validation-fraction above 0 over at least two groups (files, or --group-by groups)."
                : "the corpus has no training files: every file is in the validation split; re-run prepare with a smaller --validation-fraction.");
        segments = corpus.Segments(split).Where(s => s.Length >= cropLength + 1).ToArray();
        if (segments.Length == 0)
        {
            long longest = corpus.Segments(split).Select(s => s.Length).DefaultIfEmpty(0).Max();
            throw new ArgumentException(
                $"the corpus's {split.ToString().ToLowerInvariant()} split has no file of at least {cropLength + 1} samples " +
                $"(longest: {longest}); use a shorter --crop or add longer files.");
        }
        cumulativeStarts = new long[segments.Length];
        long total = 0;
        for (int k = 0; k < segments.Length; k++)
        {
            total += segments[k].Length - cropLength;
            cumulativeStarts[k] = total;
        }
    }

    public int CropLength { get; }

    /// <summary>Number of distinct crops the split offers.</summary>
    public long Positions => cumulativeStarts[^1];

    /// <summary>Fills <paramref name="destination"/> (batch x (CropLength + 1)) with the crops of batch <paramref name="step"/>.</summary>
    /// <returns>A fingerprint of the crop positions, logged so a resumed run can be checked against the original.</returns>
    public ulong Fill(long step, int batch, Span<byte> destination)
    {
        Fill(step, 0, batch, destination);
        return Fingerprint(step, batch);
    }

    /// <summary>
    /// Fills <paramref name="destination"/> (count x (CropLength + 1)) with crops first .. first + count - 1
    /// of batch <paramref name="step"/>: one rank's share of a data-parallel batch, the same bytes
    /// those rows hold when one process reads the whole batch.
    /// </summary>
    public void Fill(long step, int first, int count, Span<byte> destination)
    {
        int row = CropLength + 1;
        if (destination.Length != count * row) throw new ArgumentException($"destination holds {destination.Length} bytes, {count} crops need {count * row}.");
        for (int i = 0; i < count; i++)
        {
            var (segment, offset) = Position(step, first + i);
            corpus.Read(segment, offset, destination.Slice(i * row, row));
        }
    }

    /// <summary>The fingerprint of batch <paramref name="step"/>'s crop positions (FNV-1a over them), whoever reads which crops.</summary>
    public ulong Fingerprint(long step, int batch)
    {
        ulong fingerprint = 14695981039346656037UL;
        for (int i = 0; i < batch; i++)
        {
            var (segment, offset) = Position(step, i);
            fingerprint = (fingerprint ^ (ulong)(segment.Offset + offset)) * 1099511628211UL;
        }
        return fingerprint;
    }

    /// <summary>Where crop <paramref name="i"/> of batch <paramref name="step"/> starts: a function of (seed, step, i) alone.</summary>
    private (CorpusSegment Segment, long Offset) Position(long step, int i)
    {
        long r = SplitMix64.Below(SplitMix64.Hash(seed, stream, (ulong)step * 65536UL + (ulong)i), Positions);
        int k = Array.BinarySearch(cumulativeStarts, r + 1);
        if (k < 0) k = ~k;
        return (segments[k], r - (k == 0 ? 0 : cumulativeStarts[k - 1]));
    }
}
