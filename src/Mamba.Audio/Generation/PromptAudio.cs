namespace Mamba.Audio.Generation;

/// <summary>A prompt read for generation: its mu-law classes, and what was wrong with the file (a lenient read, see <see cref="Files.WavSource"/>).</summary>
public sealed record PromptClasses(byte[] Classes, IReadOnlyList<string> Warnings);

/// <summary>Reads a prompt for generation: the last seconds of a WAV file as mu-law classes.</summary>
public static class PromptAudio
{
    /// <summary>
    /// The last <paramref name="seconds"/> of <paramref name="path"/>, mono at <paramref name="sampleRate"/>
    /// (channels averaged, resampled), mu-law encoded. The file is streamed through a ring buffer of
    /// that length: a long file is never held whole. A file shorter than that gives all of it.
    /// </summary>
    /// <exception cref="Files.AudioFileException">The file cannot be read as WAV.</exception>
    /// <exception cref="ArgumentException">The file holds no samples, or <paramref name="seconds"/> is not positive.</exception>
    public static PromptClasses ReadLast(string path, double seconds, int sampleRate = AudioInput.DefaultSampleRate)
    {
        if (!(seconds > 0 && seconds * sampleRate <= int.MaxValue / 8))
            throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "prompt seconds must be positive and hold fewer than 268M samples.");
        int capacity = Math.Max(1, (int)Math.Round(seconds * sampleRate));
        var ring = new float[capacity];
        long total = 0;
        IReadOnlyList<string> warnings;
        using (var input = AudioInput.OpenMono(path, sampleRate))
        {
            var buffer = new float[Math.Min(capacity, 16384)];
            int read;
            while ((read = input.Read(buffer)) > 0)
            {
                for (int i = 0; i < read; i++) ring[(int)((total + i) % capacity)] = buffer[i];
                total += read;
            }
            warnings = input.File.SampleWarnings();
        }
        if (total == 0) throw new ArgumentException($"prompt {path} holds no samples.", nameof(path));
        int length = (int)Math.Min(total, capacity);
        var tail = new float[length];
        long start = total - length;
        for (int i = 0; i < length; i++) tail[i] = ring[(int)((start + i) % capacity)];
        var classes = new byte[length];
        MuLaw.Encode(tail, classes);
        return new PromptClasses(classes, warnings);
    }
}
