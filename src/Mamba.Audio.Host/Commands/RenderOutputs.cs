using Mamba.Audio.Generation;

namespace Mamba.Audio.Host.Commands;

/// <summary>
/// Every file a render will write, checked before anything is generated: the takes' final and
/// working names (<see cref="Renderer"/>) and the JSON sidecar. Render writes only .wav files and
/// their sidecar, never inside the checkpoint it reads, and replaces an existing file only with
/// --force; a refusal names the file and what to do.
/// </summary>
public sealed record RenderOutputs(IReadOnlyList<string> Takes, IReadOnlyList<string> Working, string Sidecar, IReadOnlyList<string> Spectrograms)
{
    /// <summary>The files for <paramref name="output"/> with <paramref name="takes"/> takes from <paramref name="seed"/> (and a spectrogram PNG per take when asked).</summary>
    public static RenderOutputs For(string output, int takes, ulong seed, bool spectrograms = false)
    {
        var full = Path.GetFullPath(output);
        var final = Renderer.FinalPaths(full, takes);
        return new RenderOutputs(final, Renderer.WorkingPaths(full, takes, seed), SidecarPath(full),
            spectrograms ? [.. final.Select(Terminal.SpectrogramImage.PathFor)] : []);
    }

    /// <summary>name.json beside name.wav: the settings, the ranked takes and the measured figures.</summary>
    public static string SidecarPath(string output) => Path.ChangeExtension(Path.GetFullPath(output), ".json");

    /// <summary>Why --out cannot name this path at all (whatever is on the disk), or null.</summary>
    public static string? NameProblem(string output)
    {
        if (!Path.GetExtension(output).Equals(".wav", StringComparison.OrdinalIgnoreCase))
            return $"--out {output}: must name a .wav file (the JSON report goes beside it, as {Path.GetFileNameWithoutExtension(output)}.json).";
        return null;
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless every file may be written.</summary>
    /// <param name="output">--out as given, for messages.</param>
    /// <param name="checkpoint">The checkpoint directory being read: nothing is written inside it.</param>
    /// <param name="force">Whether existing files may be replaced (never directories, never the checkpoint's files).</param>
    public void Check(string output, string checkpoint, bool force)
    {
        var full = Path.GetFullPath(output);
        if (Directory.Exists(full)) throw new ArgumentException($"--out {output}: is a directory; name a .wav file (in it, for example {Path.Combine(output, "take.wav")}).");
        var checkpointPrefix = Path.TrimEndingDirectorySeparator(Path.GetFullPath(checkpoint)) + Path.DirectorySeparatorChar;
        foreach (var file in Takes.Concat(Working).Append(Sidecar).Concat(Spectrograms))
        {
            if (file.StartsWith(checkpointPrefix, StringComparison.Ordinal))
                throw new ArgumentException($"--out {output}: {file} would be written inside the checkpoint directory {checkpoint}; render never writes there. Choose another --out.");
            if (Directory.Exists(file)) throw new ArgumentException($"--out {output}: {file} is a directory; choose another --out.");
            if (!force && File.Exists(file))
                throw new ArgumentException($"--out {output}: {file} exists and render does not overwrite files; choose another --out, or pass --force to replace it" +
                    (Working.Contains(file) ? " (it is a take left by a render that was stopped)." : "."));
        }
    }
}
