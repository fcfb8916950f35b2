namespace Mamba.Audio.Plugins.BuiltIn;

/// <summary>
/// `file path=speech.wav loop=1`: plays a WAV file (any format this project reads), converted to
/// mono at the chain's rate. Opened in Prepare; without loop it ends after the file, then gives silence.
/// </summary>
public sealed class WavFileGenerator(string path) : Generator("file", Declared)
{
    public static readonly IReadOnlyList<PluginParameter> Declared = [PluginParameter.Choice("loop", ["0", "1"], 0, "start again at the end")];

    private AudioInputStream? input;
    private bool ended;

    public string Path { get; } = path;

    public override bool Ended => ended;

    protected override void OnPrepare(StreamFormat format) => input = AudioInput.OpenMono(Path, format.SampleRate);

    public override void Generate(Span<float> output)
    {
        int done = 0;
        while (done < output.Length && !ended)
        {
            int n = input!.Read(output[done..]);
            done += n;
            if (n > 0) continue;
            if (Value(0) == 1)
            {
                input.Dispose();
                input = AudioInput.OpenMono(Path, Format!.SampleRate);   // rare (once a loop), not per block
            }
            else ended = true;
        }
        output[done..].Clear();
    }

    public override void Dispose() => input?.Dispose();
}
