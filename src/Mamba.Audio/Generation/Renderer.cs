using System.Diagnostics;
using System.Security.Cryptography;
using Mamba.Audio.Files;
using Mamba.Core.Engines;
using Mamba.Core.Model;

namespace Mamba.Audio.Generation;

/// <summary>
/// Renders audio from a generation engine into WAV files, block by block: each block is generated
/// for every take at once (one engine stream per take), decoded from mu-law and appended with
/// <see cref="Pcm16WavWriter"/>, whose header is valid after every block, so a killed render leaves
/// playable files holding every whole block written. Buffers are allocated once per render (one
/// block of classes for every slot, one block of floats): memory does not grow with the duration,
/// and a block allocates nothing.
/// </summary>
/// <remarks>
/// Takes: take i samples with seed + i. While it renders a take lies under a working name that says
/// it is unfinished (<see cref="WorkingPaths"/>: name.partial.wav, or name-seed{seed+i}.partial.wav
/// for several takes), so a killed render leaves a playable file that no one mistakes for a whole
/// one, and an existing file of the final name is untouched until the render ends. Then the files
/// are renamed: name.wav, or name-take1.wav, name-take2.wav, ... in order of log-likelihood per
/// sample (most likely first). A render stopped by cancellation ranks and renames what it made.
/// </remarks>
public sealed class Renderer
{
    private readonly IStepEngine engine;
    private readonly IPromptPrimer primer;

    /// <param name="engine">Used, not owned; needs a free slot per take. Its slots are closed again when a render ends.</param>
    /// <param name="primer">How a prompt primes the takes; null steps it through the engine (<see cref="StepPrimer"/>).</param>
    public Renderer(IStepEngine engine, IPromptPrimer? primer = null)
    {
        this.engine = engine;
        this.primer = primer ?? StepPrimer.Instance;
    }

    /// <summary>Renders <paramref name="request"/> to <paramref name="path"/> (or, for several takes, beside it).</summary>
    /// <param name="progress">Called after every block (on this thread).</param>
    /// <param name="cancel">Checked between blocks: a cancelled render stops with valid files and <see cref="RenderResult.Interrupted"/>.</param>
    /// <param name="replaceExisting">Whether a finished take may replace an existing file of its final name; if not, such a file makes the render fail at the end with the take kept under its working name.</param>
    public RenderResult Render(string path, RenderRequest request, Action<RenderProgress>? progress = null, CancellationToken cancel = default,
        bool replaceExisting = false)
    {
        request.Validate();
        int takes = request.Takes;
        if (engine.Slots - engine.ActiveCount < takes)
            throw new ArgumentException($"{takes} takes need {takes} free engine slots; the engine has {engine.Slots - engine.ActiveCount}.", nameof(request));
        var slots = new int[takes];
        var seeds = new ulong[takes];
        var files = new string[takes];
        var writers = new Pcm16WavWriter?[takes];
        var hashes = new IncrementalHash[takes];
        for (int i = 0; i < takes; i++) hashes[i] = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        int opened = 0;
        try
        {
            for (int i = 0; i < takes; i++)
            {
                seeds[i] = unchecked(request.Sampling.Seed + (ulong)i);
                slots[i] = engine.Open(request.Sampling with { Seed = seeds[i] });
                opened++;
            }
            var working = WorkingPaths(path, takes, request.Sampling.Seed);
            for (int i = 0; i < takes; i++) files[i] = working[i];
            var clock = Stopwatch.StartNew();
            if (request.Prompt is { } prompt) primer.Prime(engine, slots, prompt);
            for (int i = 0; i < takes; i++) writers[i] = new Pcm16WavWriter(files[i], request.SampleRate);

            long done = Generate(request, slots, writers!, hashes, clock, progress, cancel);
            var elapsed = clock.Elapsed;

            var made = new RenderedTake[takes];
            for (int i = 0; i < takes; i++)
            {
                writers[i]!.Dispose();
                made[i] = new RenderedTake(0, files[i], seeds[i], engine.LogLikelihood(slots[i]), engine.SampleCount(slots[i]),
                    Convert.ToHexStringLower(hashes[i].GetHashAndReset()));
            }
            var ranked = Rank(path, made, replaceExisting);
            return new RenderResult(ranked, done, request.Prompt?.Length ?? 0, elapsed, request.SampleRate,
                Interrupted: done < request.TotalSamples);
        }
        finally
        {
            foreach (var writer in writers) writer?.Dispose();
            foreach (var hash in hashes) hash.Dispose();
            for (int i = 0; i < opened; i++) engine.Close(slots[i]);
        }
    }

    /// <summary>The loop: a block for every take at once, decoded and appended. Returns samples per take written.</summary>
    private long Generate(RenderRequest request, int[] slots, Pcm16WavWriter[] writers, IncrementalHash[] hashes, Stopwatch clock,
        Action<RenderProgress>? progress, CancellationToken cancel)
    {
        int block = request.BlockSamples;
        long total = request.TotalSamples;
        var classes = new byte[engine.Slots * block];   // (slots, n) for a block of n: row = slot
        var pcm = new float[block];
        long done = 0;
        while (done < total && !cancel.IsCancellationRequested)
        {
            int n = (int)Math.Min(block, total - done);
            engine.Generate(n, classes);
            for (int i = 0; i < slots.Length; i++)
            {
                var samples = pcm.AsSpan(0, n);
                var takeClasses = classes.AsSpan(slots[i] * n, n);
                hashes[i].AppendData(takeClasses);
                MuLaw.Decode(takeClasses, samples);
                writers[i].Write(samples);
            }
            done += n;
            progress?.Invoke(new RenderProgress(done, total, clock.Elapsed, request.SampleRate));
        }
        return done;
    }

    /// <summary>Sorts by log-likelihood per sample (descending, empty takes last, ties by seed) and renames to take paths.</summary>
    private static RenderedTake[] Rank(string path, RenderedTake[] takes, bool replaceExisting)
    {
        var order = takes
            .OrderByDescending(t => double.IsNaN(t.LogLikelihoodPerSample) ? double.NegativeInfinity : t.LogLikelihoodPerSample)
            .ThenBy(t => t.Seed)
            .ToArray();
        for (int r = 0; r < order.Length; r++)
        {
            var take = order[r];
            string final = FinalPaths(path, takes.Length)[r];
            if (!replaceExisting && File.Exists(final))
                throw new IOException($"{final} appeared while rendering; the take is kept as {take.Path} (nothing is overwritten without being asked).");
            File.Move(take.Path, final, overwrite: replaceExisting);
            order[r] = take with { Rank = r + 1, Path = final };
        }
        return order;
    }

    /// <summary>Where the takes end up, best first: <paramref name="path"/> itself for one take, else name-take1.wav .. name-takeN.wav beside it.</summary>
    public static IReadOnlyList<string> FinalPaths(string path, int takes) =>
        takes == 1 ? [path] : [.. Enumerable.Range(1, takes).Select(rank => TakePath(path, rank))];

    /// <summary>Where the takes lie while they render (and after a kill), in seed order: name.partial.wav, or name-seed{seed+i}.partial.wav for several.</summary>
    public static IReadOnlyList<string> WorkingPaths(string path, int takes, ulong seed) =>
        takes == 1 ? [Sibling(path, ".partial")] : [.. Enumerable.Range(0, takes).Select(i => Sibling(path, $"-seed{unchecked(seed + (ulong)i)}.partial"))];

    /// <summary>name-take{rank}.wav beside <paramref name="path"/> (name.wav): where ranked takes end up.</summary>
    public static string TakePath(string path, int rank) => Sibling(path, $"-take{rank}");

    private static string Sibling(string path, string suffix)
    {
        var directory = Path.GetDirectoryName(path) ?? "";
        var extension = Path.GetExtension(path);
        return Path.Combine(directory, Path.GetFileNameWithoutExtension(path) + suffix + (extension.Length > 0 ? extension : ".wav"));
    }
}
