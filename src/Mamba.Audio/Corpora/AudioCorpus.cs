using System.IO.MemoryMappedFiles;

namespace Mamba.Audio.Corpora;

/// <summary>
/// A prepared corpus, opened for training: the manifest and index are checked against audio.bin,
/// and audio.bin is memory-mapped read-only, so nothing is read whole into memory and any number
/// of threads may <see cref="Read"/> at once. Made by <see cref="CorpusBuilder"/> (`mamba-audio prepare`).
/// </summary>
public sealed unsafe class AudioCorpus : IDisposable
{
    private readonly MemoryMappedFile? map;              // null for an empty audio.bin (it cannot be mapped)
    private readonly MemoryMappedViewAccessor? view;
    private readonly byte* start;
    private readonly long length;
    private readonly CorpusSegment[][] segments;         // [split][file]
    private readonly long[] samples;                     // [split]
    private readonly double[] entropy = [double.NaN, double.NaN];   // [split], NaN until first use (a double write is atomic)
    private int disposed;

    private AudioCorpus(string directory, CorpusManifest manifest, CorpusSegment[][] segments, long[] samples, MemoryMappedFile? map, long length)
    {
        Directory = directory;
        Manifest = manifest;
        this.segments = segments;
        this.samples = samples;
        this.map = map;
        this.length = length;
        if (map is not null)
        {
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            start = p + view.PointerOffset;
        }
    }

    /// <summary>
    /// Opens the corpus in <paramref name="directory"/>. Throws <see cref="CorpusException"/>
    /// naming the file and the problem when a file is missing or malformed, the format version is
    /// unknown, or audio.bin's size disagrees with the manifest or the index (a truncated copy or
    /// files from different builds).
    /// </summary>
    public static AudioCorpus Open(string directory)
    {
        directory = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(directory)) throw new CorpusException(directory, "no such corpus directory.");
        string manifestPath = Path.Combine(directory, CorpusLayout.ManifestFile);
        string indexPath = Path.Combine(directory, CorpusLayout.IndexFile);
        string audioPath = Path.Combine(directory, CorpusLayout.AudioFile);

        var manifest = CorpusLayout.ReadJson<CorpusManifest>(manifestPath);
        if (manifest.FormatVersion != CorpusLayout.FormatVersion)
            throw new CorpusException(manifestPath, $"format version {manifest.FormatVersion}; this build reads version {CorpusLayout.FormatVersion}.");
        if (manifest.SampleRate <= 0)
            throw new CorpusException(manifestPath, $"sample rate {manifest.SampleRate}: must be positive.");
        var index = CorpusLayout.ReadJson<CorpusIndex>(indexPath);
        if (index.FormatVersion != manifest.FormatVersion || index.SampleRate != manifest.SampleRate)
            throw new CorpusException(indexPath, $"version {index.FormatVersion} at {index.SampleRate} Hz, the manifest says version {manifest.FormatVersion} at {manifest.SampleRate} Hz: the files come from different builds.");

        var (segments, samples) = CheckIndex(indexPath, index, manifest);
        if (!File.Exists(audioPath)) throw new CorpusException(audioPath, $"missing: a corpus needs {CorpusLayout.AudioFile}.");
        var stream = new FileStream(audioPath, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            long length = stream.Length;
            if (length != manifest.TotalSamples)
                throw new CorpusException(audioPath, $"{length:N0} bytes, but the manifest says {manifest.TotalSamples:N0} samples: the file is truncated or comes from another build.");
            MemoryMappedFile? map = length == 0 ? null
                : MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            if (map is null) stream.Dispose();
            return new AudioCorpus(directory, manifest, segments, samples, map, length);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The corpus directory (full path).</summary>
    public string Directory { get; }

    /// <summary>Samples per second of every segment.</summary>
    public int SampleRate => Manifest.SampleRate;

    /// <summary>The manifest's content hash: identifies the exact data a model was trained on.</summary>
    public string ContentHash => Manifest.ContentHash;

    /// <summary>Everything the manifest says (counts, hours, split rule, skipped files).</summary>
    public CorpusManifest Manifest { get; }

    /// <summary>The files of one split, in audio.bin order.</summary>
    public IReadOnlyList<CorpusSegment> Segments(CorpusSplit split) => segments[SplitIndex(split)];

    /// <summary>Total samples (bytes) in one split.</summary>
    public long Samples(CorpusSplit split) => samples[SplitIndex(split)];

    /// <summary>
    /// Copies <c>destination.Length</c> bytes starting <paramref name="offset"/> bytes into
    /// <paramref name="segment"/>. Throws <see cref="ArgumentOutOfRangeException"/> when any of
    /// them lies outside the segment (or the segment outside audio.bin). Thread-safe; allocates nothing.
    /// </summary>
    public void Read(CorpusSegment segment, long offset, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(segment);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        if (segment.Offset < 0 || segment.Length < 0 || segment.Offset > length - segment.Length)
            throw new ArgumentOutOfRangeException(nameof(segment), $"segment {segment.Source} at {segment.Offset} + {segment.Length} lies outside audio.bin ({length} bytes).");
        if (offset < 0 || offset > segment.Length - destination.Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"bytes {offset}..{offset + destination.Length} are outside segment {segment.Source} (length {segment.Length}).");
        if (destination.Length == 0) return;
        new ReadOnlySpan<byte>(start + segment.Offset + offset, destination.Length).CopyTo(destination);
    }

    /// <summary>
    /// Entropy of the split's class histogram, bits per sample: the loss of a model that ignores
    /// context (8 would be uniform). Counted over the mapped bytes on first use, then remembered.
    /// </summary>
    public double UnigramEntropyBits(CorpusSplit split)
    {
        int s = SplitIndex(split);
        double known = Volatile.Read(ref entropy[s]);
        if (!double.IsNaN(known)) return known;
        Span<long> histogram = stackalloc long[MuLaw.Classes];
        histogram.Clear();
        foreach (var segment in segments[s])
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
            for (long i = 0; i < segment.Length; i++) histogram[start[segment.Offset + i]]++;
        }
        double h = CorpusLayout.EntropyBits(histogram);
        Volatile.Write(ref entropy[s], h);
        return h;
    }

    /// <summary>Unmaps audio.bin; segments must not be read afterwards.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        if (view is not null)
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
        }
        map?.Dispose();
    }

    private static int SplitIndex(CorpusSplit split) => split switch
    {
        CorpusSplit.Train => 0,
        CorpusSplit.Validation => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "expected Train or Validation."),
    };

    /// <summary>Index entries must tile audio.bin in order and agree with the manifest's per-split figures.</summary>
    private static (CorpusSegment[][] Segments, long[] Samples) CheckIndex(string indexPath, CorpusIndex index, CorpusManifest manifest)
    {
        var lists = new[] { new List<CorpusSegment>(), new List<CorpusSegment>() };
        var samples = new long[2];
        long expectedOffset = 0;
        for (int i = 0; i < index.Files.Count; i++)
        {
            var f = index.Files[i];
            if (f.Offset != expectedOffset || f.Length < 0)
                throw new CorpusException(indexPath, $"entry {i} ({f.Path}) is at offset {f.Offset} with length {f.Length}; expected offset {expectedOffset} and a length >= 0 (entries tile audio.bin in order).");
            if (f.Split is not (CorpusSplit.Train or CorpusSplit.Validation))
                throw new CorpusException(indexPath, $"entry {i} ({f.Path}) has an unknown split.");
            expectedOffset += f.Length;
            int s = SplitIndex(f.Split);
            lists[s].Add(new CorpusSegment(f.Path, f.Offset, f.Length, f.Split));
            samples[s] += f.Length;
        }
        if (expectedOffset != manifest.TotalSamples)
            throw new CorpusException(indexPath, $"the files add up to {expectedOffset:N0} samples, the manifest says {manifest.TotalSamples:N0}: the files come from different builds.");
        if (lists[0].Count != manifest.Files.Train || lists[1].Count != manifest.Files.Validation
            || samples[0] != manifest.Samples.Train || samples[1] != manifest.Samples.Validation)
            throw new CorpusException(indexPath, $"{lists[0].Count} train / {lists[1].Count} validation files ({samples[0]:N0} / {samples[1]:N0} samples); the manifest says {manifest.Files.Train} / {manifest.Files.Validation} ({manifest.Samples.Train:N0} / {manifest.Samples.Validation:N0}).");
        return (new[] { lists[0].ToArray(), lists[1].ToArray() }, samples);
    }
}
