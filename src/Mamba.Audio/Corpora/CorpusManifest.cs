namespace Mamba.Audio.Corpora;

/// <summary>
/// <c>manifest.json</c>: what the corpus holds and how it was made. Written last, so a corpus
/// whose manifest is present was completely written.
/// </summary>
/// <param name="FormatVersion">Layout version of the three files (<see cref="CorpusLayout.FormatVersion"/>).</param>
/// <param name="SampleRate">Samples per second of every file in audio.bin.</param>
/// <param name="Encoding">How samples are stored ("mu-law 8-bit, mu = 255", one byte per sample).</param>
/// <param name="Files">Included files per split.</param>
/// <param name="Samples">Bytes of audio.bin per split.</param>
/// <param name="Hours">Audio per split, in hours at <paramref name="SampleRate"/>.</param>
/// <param name="TotalSamples">The length of audio.bin.</param>
/// <param name="UnigramEntropyBits">Entropy of the class histogram per split, bits per sample: the trivial baseline a model must beat.</param>
/// <param name="ContentHash">SHA-256 of audio.bin's bytes followed by, for each file in order, its path, offset, length and split (see <see cref="CorpusLayout"/>).</param>
/// <param name="Split">Seed, validation fraction and group rule of the split.</param>
/// <param name="Groups">Groups per split.</param>
/// <param name="Created">When the corpus directory was first built.</param>
/// <param name="Updated">When this version was written.</param>
/// <param name="Skipped">Files found under the inputs and left out, with the reason.</param>
/// <param name="Warnings">Included files read with a tolerated problem, with the problem.</param>
/// <param name="SplitNote">What the split did beyond the hash rule (a group held out so validation is not empty), or why there is no validation split; null when the hash alone decided.</param>
public sealed record CorpusManifest(
    int FormatVersion, int SampleRate, string Encoding,
    CorpusSplitValues<int> Files, CorpusSplitValues<long> Samples, CorpusSplitValues<double> Hours, long TotalSamples,
    CorpusSplitValues<double> UnigramEntropyBits, string ContentHash,
    CorpusSplitRule Split, CorpusSplitValues<int> Groups,
    DateTimeOffset Created, DateTimeOffset Updated,
    IReadOnlyList<CorpusFileNote> Skipped, IReadOnlyList<CorpusFileNote> Warnings, string? SplitNote = null);
