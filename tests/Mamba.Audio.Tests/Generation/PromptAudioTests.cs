using Mamba.Audio.Files;
using Mamba.Audio.Generation;
using Mamba.Audio.Tests.Support;

namespace Mamba.Audio.Tests.Generation;

public class PromptAudioTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder folder = new();

    [Fact]
    public void PromptAudio_ReadLast_KeepsTheTailOfTheFile()
    {
        int seed = TestSeed.Fresh();
        string path = folder.File("prompt.wav");
        using (var writer = new Pcm16WavWriter(path, 16000))
            for (int block = 0; block < 5; block++) writer.Write(SampleCodec.Random(3333, seed + block));   // 16665 samples, > 1 s
        var all = PromptAudio.ReadLast(path, 10).Classes;
        var tail = PromptAudio.ReadLast(path, 0.25).Classes;
        output.WriteLine($"seed {seed}: {all.Length} samples, tail {tail.Length}");
        Assert.Equal(16665, all.Length);
        Assert.Equal(4000, tail.Length);
        Assert.Equal(all.AsSpan(all.Length - 4000).ToArray(), tail);
    }

    public void Dispose() => folder.Dispose();
}
