using System.Diagnostics;
using System.Security.Cryptography;
using Mamba.Audio.Files;

namespace Mamba.Audio.Corpora;

/// <summary>
/// Builds or updates a corpus directory (see <see cref="CorpusLayout"/>) from folders and files of
/// WAV audio: each file is resampled to the corpus rate, mu-law encoded block by block straight
/// into audio.bin (a 2-hour file never sits whole in memory), and given a split by its group.
/// <para>
/// Which files: every *.wav / *.wave (any case) below the inputs is read. Files with another
/// audio-looking extension (<see cref="OtherAudioExtensions"/>: .mp3, .flac, ...) are listed as
/// skipped, "not a WAV file", so a folder of mixed formats does not lose them silently; anything
/// else (text, images, MIDI) is ignored. A file named directly as an input is read whatever its
/// extension. A .wav that is not RIFF/WAVE, is empty, truncated, has an
/// unsupported encoding or a broken header is skipped with <see cref="WavSource"/>'s reason. In
/// lenient mode a data size that lies keeps the readable part, with a warning in the manifest.
/// </para>
/// <para>
/// Incremental: a file whose (root, path, size, last-write time) match the previous index, or
/// whose SHA-256 matches it, is copied from the previous audio.bin instead of decoded again; files
/// no longer found are dropped. The result is byte for byte the corpus a fresh build would make.
/// Everything is written to *.tmp files and renamed at the end, manifest last, so an interrupted
/// or failed build leaves the previous corpus as it was.
/// </para>
/// </summary>
public static class CorpusBuilder
{
    /// <summary>Extensions that look like audio but are not read (reported as skipped).</summary>
    public static readonly IReadOnlySet<string> OtherAudioExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".wma", ".aif", ".aiff", ".aifc", ".au", ".snd", ".caf", ".w64", ".rf64",
    };

    private const int BlockSamples = 1 << 16;

    /// <summary>The lowest corpus rate: below it there is no audio worth modelling, and the resampler's filter grows with the ratio.</summary>
    public const int MinSampleRate = 1000;

    /// <summary>The highest corpus rate (DXD, 384 kHz).</summary>
    public const int MaxSampleRate = 384_000;

    /// <summary>Builds (or updates) the corpus; throws <see cref="CorpusException"/> for a strict failure or unusable inputs.</summary>
    public static CorpusBuildReport Build(CorpusBuildOptions options, Action<CorpusBuildProgress>? progress = null, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        var rule = options.SplitRule.Validate();
        if (options.SampleRate is < MinSampleRate or > MaxSampleRate)
            throw new ArgumentOutOfRangeException(nameof(options), options.SampleRate, $"sample rate {options.SampleRate}: must be {MinSampleRate:N0}..{MaxSampleRate:N0} Hz.");
        string output = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Output));
        var (candidates, skipped) = FindFiles(options.Inputs, output);
        CheckOutput(output);
        if (options.Strict && skipped.Count > 0)
            throw new CorpusException(skipped[0].Source, $"{skipped[0].Reason} (--strict: no file may be skipped; the corpus was not changed).");
        if (candidates.Count == 0)
            throw new CorpusException(string.Join(", ", options.Inputs),
                $"no WAV file found{(skipped.Count > 0 ? $" that can be read ({skipped.Count} skipped: {skipped[0].Source}: {skipped[0].Reason})" : "")}; no corpus was written.");

        bool created = !Directory.Exists(output);
        Directory.CreateDirectory(output);
        var (previous, previousProblem) = OpenPrevious(output, options.SampleRate);
        string audioPath = Path.Combine(output, CorpusLayout.AudioFile);
        string indexPath = Path.Combine(output, CorpusLayout.IndexFile);
        string manifestPath = Path.Combine(output, CorpusLayout.ManifestFile);
        string audioTemp = audioPath + ".tmp", indexTemp = indexPath + ".tmp", manifestTemp = manifestPath + ".tmp";

        var entries = new List<CorpusIndexEntry>();
        var warnings = new List<CorpusFileNote>();
        var encoded = new List<string>();
        var reused = new List<string>();
        try
        {
            using (var audio = new FileStream(audioTemp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            using (var previousAudio = previous is null ? null : File.OpenHandle(Path.Combine(output, CorpusLayout.AudioFile)))
            {
                var work = new Workspace();
                for (int i = 0; i < candidates.Count; i++)
                {
                    cancel.ThrowIfCancellationRequested();
                    var file = candidates[i];
                    string group = rule.GroupOf(file.Path);
                    long size = 0, ticks = 0;
                    long offset = audio.Position;

                    CorpusIndexEntry? old = null;
                    previous?.TryGetValue((file.Root, file.Path), out old);
                    string? sha = null;
                    CorpusFileNote? skip = ReadInput(file, () =>
                    {
                        var info = new FileInfo(file.FullPath);
                        (size, ticks) = (info.Length, info.LastWriteTimeUtc.Ticks);
                        sha = old is not null && old.SourceBytes == size && old.SourceLastWriteUtcTicks == ticks ? old.Sha256 : Sha256Of(file.FullPath);
                    });
                    IReadOnlyList<string> fileWarnings = [];
                    bool readable = skip is null;
                    if (readable && old is not null && old.Sha256 == sha)
                    {
                        CopyPrevious(previousAudio!, old, audio, work);
                        fileWarnings = old.Warnings;
                        reused.Add(file.Path);
                    }
                    else if (readable)
                    {
                        skip = Encode(file, options, audio, work, out fileWarnings);
                        if (skip is null) encoded.Add(file.Path);
                    }
                    long length = audio.Position - offset;
                    if (skip is null && length == 0) skip = new CorpusFileNote(file.Display, "no audio (0 samples).");
                    if (skip is not null)
                    {
                        if (options.Strict) throw new CorpusException(skip.Source, $"{skip.Reason} (--strict: no file may be skipped; the corpus was not changed).");
                        skipped.Add(skip);
                    }
                    else
                    {
                        // Split Train for now: rule.Assign decides every group's split once all are known.
                        entries.Add(new CorpusIndexEntry(file.Root, file.Path, group, CorpusSplit.Train, offset, length, size, ticks, sha!, fileWarnings));
                        foreach (var w in fileWarnings) warnings.Add(new CorpusFileNote(file.Display, w));
                    }
                    progress?.Invoke(new CorpusBuildProgress(i + 1, candidates.Count, audio.Position, options.SampleRate, file.Path, skip, skip is null ? fileWarnings : []));
                }
                audio.Flush(flushToDisk: true);
            }

            if (entries.Count == 0)
                throw new CorpusException(string.Join(", ", options.Inputs),
                    $"none of the {candidates.Count} WAV file(s) could be read ({skipped[^1].Source}: {skipped[^1].Reason}); {(previous is null ? "no corpus was written" : "the previous corpus was kept")}.");
            var splits = rule.Assign(entries.Select(e => e.Group), out var splitNote);
            for (int i = 0; i < entries.Count; i++) entries[i] = entries[i] with { Split = splits[entries[i].Group] };
            var (histograms, contentHash) = HashAndCount(audioTemp, entries);
            var manifest = MakeManifest(options, rule, entries, histograms, contentHash, skipped, warnings, previousCreated: ReadCreated(manifestPath, previous is not null))
                with { SplitNote = splitNote };
            CorpusLayout.WriteJson(indexTemp, new CorpusIndex(CorpusLayout.FormatVersion, options.SampleRate, entries));
            CorpusLayout.WriteJson(manifestTemp, manifest);
            // Manifest last: until it lands, a reader sees the previous manifest, and AudioCorpus.Open
            // refuses a new audio.bin or index that does not match it instead of reading wrong data.
            File.Move(audioTemp, audioPath, overwrite: true);
            File.Move(indexTemp, indexPath, overwrite: true);
            File.Move(manifestTemp, manifestPath, overwrite: true);

            var found = candidates.Select(c => (c.Root, c.Path)).ToHashSet();
            List<string> dropped = previous is null ? [] : [.. previous.Keys.Where(k => !found.Contains(k)).Select(k => k.Path).Order(StringComparer.Ordinal)];
            return new CorpusBuildReport(manifest, manifestPath, encoded, reused, dropped, previousProblem, clock.Elapsed);
        }
        catch (Exception e)
        {
            foreach (var temp in new[] { audioTemp, indexTemp, manifestTemp })
                try { File.Delete(temp); } catch (IOException) { }
            if (created && !Directory.EnumerateFileSystemEntries(output).Any()) Directory.Delete(output);
            // Reads are handled per file; what reaches here is the corpus itself failing to be written.
            if (e is IOException or UnauthorizedAccessException)
                throw new CorpusException(output, $"the corpus could not be written ({e.Message}); {(previous is null ? "no corpus was written" : "the previous corpus is unchanged")}.", e);
            throw;
        }
    }

    /// <summary>A file found under an input: its root, its '/'-separated path below the root.</summary>
    private sealed record SourceFile(string Root, string Path)
    {
        public string FullPath => System.IO.Path.Combine(Root, Path);
        public string Display => FullPath;
    }

    /// <summary>Buffers for one build, allocated once.</summary>
    private sealed class Workspace
    {
        public readonly float[] Samples = new float[BlockSamples];
        public readonly byte[] Classes = new byte[BlockSamples];
    }

    private static (List<SourceFile> Candidates, List<CorpusFileNote> Skipped) FindFiles(IReadOnlyList<string> inputs, string output)
    {
        if (inputs.Count == 0) throw new ArgumentException("no inputs: give at least one folder or file.", nameof(inputs));
        var candidates = new List<SourceFile>();
        var skipped = new List<CorpusFileNote>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string outputPrefix = output.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        foreach (var input in inputs)
        {
            string full = Path.GetFullPath(input);
            IEnumerable<(string Root, string File)> files;
            if (Directory.Exists(full))
            {
                if (output == full || output.StartsWith(Path.TrimEndingDirectorySeparator(full) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    throw new CorpusException(input, $"--out {output} is {(output == full ? "this input folder" : "inside this input folder")}: the corpus would be written among the audio it reads. Choose an --out outside it.");
                files = FilesBelow(full, skipped).Select(f => (full, f));
            }
            else if (File.Exists(full)) files = [(Path.GetDirectoryName(full)!, full)];
            else throw new CorpusException(input, "no such file or folder.");

            foreach (var (root, path) in files.OrderBy(f => f.Item2, StringComparer.Ordinal))
            {
                if (path.StartsWith(outputPrefix, StringComparison.Ordinal) || !seen.Add(path)) continue;
                var file = new SourceFile(root, Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/'));
                string ext = Path.GetExtension(path);
                bool named = !Directory.Exists(full);                           // a file given directly is read whatever its extension
                if (named || ext.Equals(".wav", StringComparison.OrdinalIgnoreCase) || ext.Equals(".wave", StringComparison.OrdinalIgnoreCase))
                    candidates.Add(file);
                else if (OtherAudioExtensions.Contains(ext))
                    skipped.Add(new CorpusFileNote(file.Display, $"not a WAV file ({ext.ToLowerInvariant()} is not read; convert it to WAV)."));
            }
        }
        return (candidates, skipped);
    }

    /// <summary>Every file below <paramref name="root"/>; a folder that cannot be listed is a skipped entry, not the end of the build.</summary>
    private static List<string> FilesBelow(string root, List<CorpusFileNote> skipped)
    {
        var files = new List<string>();
        var folders = new Stack<string>();
        folders.Push(root);
        var options = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = false, AttributesToSkip = FileAttributes.None, MatchCasing = MatchCasing.CaseSensitive };
        while (folders.Count > 0)
        {
            var folder = folders.Pop();
            try
            {
                var here = Directory.GetFiles(folder, "*", options);
                var below = Directory.GetDirectories(folder, "*", options);
                files.AddRange(here);
                foreach (var d in below)
                    if (!new DirectoryInfo(d).Attributes.HasFlag(FileAttributes.ReparsePoint)) folders.Push(d);   // links are not followed: no loops
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                skipped.Add(new CorpusFileNote(folder + Path.DirectorySeparatorChar, $"folder cannot be read, nothing below it is included: {e.Message}"));
            }
        }
        return files;
    }

    /// <summary>
    /// Refuses an --out that is not a directory this tool may write a corpus into: a file, or a
    /// folder of other things (a corpus is written only into a new folder, an empty one, or an
    /// earlier corpus, so nothing of the user's is overwritten).
    /// </summary>
    private static void CheckOutput(string output)
    {
        if (File.Exists(output)) throw new CorpusException(output, "--out names a file; the corpus is a folder.");
        if (!Directory.Exists(output)) return;
        var entries = Directory.EnumerateFileSystemEntries(output).Select(Path.GetFileName).ToList();
        if (entries.Count == 0 || entries.Contains(CorpusLayout.ManifestFile)) return;
        var ours = new HashSet<string>(StringComparer.Ordinal) { CorpusLayout.AudioFile, CorpusLayout.IndexFile, CorpusLayout.AudioFile + ".tmp", CorpusLayout.IndexFile + ".tmp", CorpusLayout.ManifestFile + ".tmp" };
        var foreign = entries.Where(e => !ours.Contains(e!)).Order(StringComparer.Ordinal).ToList();
        if (foreign.Count == 0) return;
        throw new CorpusException(output, $"--out holds {foreign.Count} entr{(foreign.Count == 1 ? "y" : "ies")} that are not a corpus ({string.Join(", ", foreign.Take(5))}{(foreign.Count > 5 ? ", ..." : "")}); " +
            "prepare writes only into a new or empty folder or an earlier corpus. Choose another --out.");
    }

    /// <summary>The previous corpus's entries by (root, path), or null (none, another rate, or unreadable: then the reason).</summary>
    private static (Dictionary<(string Root, string Path), CorpusIndexEntry>? Entries, string? Problem) OpenPrevious(string output, int sampleRate)
    {
        if (!File.Exists(Path.Combine(output, CorpusLayout.ManifestFile))) return (null, null);
        try
        {
            using var corpus = AudioCorpus.Open(output);
            if (corpus.SampleRate != sampleRate) return (null, $"the previous corpus is at {corpus.SampleRate} Hz; everything is encoded again at {sampleRate} Hz.");
            var index = CorpusLayout.ReadJson<CorpusIndex>(Path.Combine(output, CorpusLayout.IndexFile));
            return (index.Files.ToDictionary(f => (f.Root, f.Path)), null);
        }
        catch (CorpusException e)
        {
            return (null, $"the previous corpus cannot be reused ({e.Message}); everything is encoded again.");
        }
    }

    private static DateTimeOffset? ReadCreated(string manifestPath, bool previousUsable)
    {
        if (!previousUsable) return null;
        try { return CorpusLayout.ReadJson<CorpusManifest>(manifestPath).Created; }
        catch (CorpusException) { return null; }
    }

    private static string Sha256Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// Reads, resamples and encodes one file onto the end of audio; returns why it was skipped, or
    /// null. Only a failure to read the input skips the file: a failure to write the corpus (a full
    /// disk) is thrown, and fails the build with the previous corpus kept.
    /// </summary>
    private static CorpusFileNote? Encode(SourceFile file, CorpusBuildOptions options, FileStream audio, Workspace work, out IReadOnlyList<string> warnings)
    {
        warnings = [];
        long start = audio.Position;
        AudioInputStream? input = null;
        try
        {
            CorpusFileNote? failed = ReadInput(file, () => input = AudioInput.OpenMono(file.FullPath, options.SampleRate, new WavReadOptions(options.Strict)));
            if (failed is not null) return failed;
            if (input!.File.Header.DataBytes == 0) return new CorpusFileNote(file.Display, "no audio (the data chunk is empty).");
            int n = 0;
            while (true)
            {
                failed = ReadInput(file, () => n = input.Read(work.Samples));
                if (failed is not null)
                {
                    Rollback(audio, start);
                    return failed;
                }
                if (n == 0) break;
                var classes = work.Classes.AsSpan(0, n);
                MuLaw.Encode(work.Samples.AsSpan(0, n), classes);
                audio.Write(classes);
            }
            warnings = input.File.SampleWarnings();
            return null;
        }
        finally
        {
            input?.Dispose();
        }
    }

    /// <summary>Runs a read of the input file; returns the reason it cannot be read, or null.</summary>
    private static CorpusFileNote? ReadInput(SourceFile file, Action read)
    {
        try
        {
            read();
            return null;
        }
        catch (AudioFileException e)
        {
            return new CorpusFileNote(file.Display, e.Problem);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or FormatException or ArgumentException)
        {
            return new CorpusFileNote(file.Display, $"cannot be read: {e.Message}");
        }
    }

    private static void CopyPrevious(Microsoft.Win32.SafeHandles.SafeFileHandle previousAudio, CorpusIndexEntry old, FileStream audio, Workspace work)
    {
        for (long done = 0; done < old.Length;)
        {
            var block = work.Classes.AsSpan(0, (int)Math.Min(BlockSamples, old.Length - done));
            int n = RandomAccess.Read(previousAudio, block, old.Offset + done);
            if (n <= 0) throw new CorpusException(CorpusLayout.AudioFile, $"the previous audio.bin ended inside {old.Path}.");
            audio.Write(block[..n]);
            done += n;
        }
    }

    /// <summary>
    /// One pass over the finished audio.bin: the content hash (<see cref="CorpusLayout.ContentHash"/>)
    /// and the class histogram of each split. Done at the end, when every file that failed half-way
    /// has been rolled back, so the figures cover exactly the bytes that stay.
    /// </summary>
    private static (long[,] Histograms, string ContentHash) HashAndCount(string audioPath, List<CorpusIndexEntry> entries)
    {
        var histograms = new long[2, MuLaw.Classes];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var handle = File.OpenHandle(audioPath);
        var block = new byte[BlockSamples];
        foreach (var e in entries)
        {
            int split = (int)e.Split;
            for (long done = 0; done < e.Length;)
            {
                int n = RandomAccess.Read(handle, block.AsSpan(0, (int)Math.Min(BlockSamples, e.Length - done)), e.Offset + done);
                if (n <= 0) throw new IOException($"{audioPath}: ended inside {e.Path}.");
                hash.AppendData(block, 0, n);
                for (int i = 0; i < n; i++) histograms[split, block[i]]++;
                done += n;
            }
        }
        return (histograms, CorpusLayout.ContentHash(hash, entries));
    }

    private static void Rollback(FileStream audio, long start)
    {
        audio.Flush();
        audio.SetLength(start);
        audio.Position = start;
    }

    private static CorpusManifest MakeManifest(CorpusBuildOptions options, CorpusSplitRule rule, List<CorpusIndexEntry> entries, long[,] histograms,
                                               string contentHash, List<CorpusFileNote> skipped, List<CorpusFileNote> warnings, DateTimeOffset? previousCreated)
    {
        int Files(CorpusSplit s) => entries.Count(e => e.Split == s);
        long Samples(CorpusSplit s) => entries.Where(e => e.Split == s).Sum(e => e.Length);
        int Groups(CorpusSplit s) => entries.Where(e => e.Split == s).Select(e => e.Group).Distinct(StringComparer.Ordinal).Count();
        double Hours(CorpusSplit s) => Samples(s) / (double)options.SampleRate / 3600.0;
        double Entropy(int s)
        {
            var h = new long[MuLaw.Classes];
            for (int c = 0; c < h.Length; c++) h[c] = histograms[s, c];
            return CorpusLayout.EntropyBits(h);
        }
        var now = DateTimeOffset.UtcNow;
        return new CorpusManifest(
            CorpusLayout.FormatVersion, options.SampleRate, CorpusLayout.Encoding,
            new(Files(CorpusSplit.Train), Files(CorpusSplit.Validation)),
            new(Samples(CorpusSplit.Train), Samples(CorpusSplit.Validation)),
            new(Hours(CorpusSplit.Train), Hours(CorpusSplit.Validation)),
            entries.Sum(e => e.Length),
            new(Entropy(0), Entropy(1)),
            contentHash,
            rule, new(Groups(CorpusSplit.Train), Groups(CorpusSplit.Validation)),
            previousCreated ?? now, now, skipped, warnings);
    }
}
