using Mamba.Audio.Files;
using Mamba.Audio.Generation;
using Mamba.Audio.Service.Protocol;
using Mamba.Audio.Service.Tests.Support;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Sampling;

namespace Mamba.Audio.Service.Tests;

/// <summary>
/// The service end to end on loopback, against its own server started here: many concurrent
/// real-time streams, each complete and in order, each the same audio as an offline render of its
/// seed (the render's SHA-256 of the mu-law classes, and its WAV samples for pcm16).
/// </summary>
public class EndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SixtyFourConcurrentClients_ReceiveCompleteStreams_IdenticalToRender()
    {
        const int clients = 64;
        const double seconds = 1.5;
        await using var server = await TestService.StartAsync(slots: clients);
        var tasks = Enumerable.Range(0, clients).Select(async i =>
        {
            await using var client = await server.ConnectAsync();
            await client.StartAsync(new StartMessage(ProtocolInfo.Version, null, 1f, 1f, (ulong)(1000 + i), null, 256,
                i % 2 == 0 ? AudioEncoding.MuLaw : AudioEncoding.Pcm16, seconds));
            return await ReceivedStream.ReadAsync(client, TimeSpan.FromSeconds(60));
        }).ToArray();
        var streams = await Task.WhenAll(tasks);

        using var engine = new CpuStepEngine(server.Weights, clients);
        using var folder = new TempFolder();
        long total = (long)(seconds * server.SampleRate);
        long late = 0;
        for (int i = 0; i < clients; i++)
        {
            var s = streams[i];
            Assert.Empty(s.Problems);
            Assert.Empty(s.Errors);
            Assert.Equal("duration", s.Stopped?.Reason);
            Assert.Equal((ulong)(1000 + i), s.Started!.Seed);
            late += s.Stats.Count > 0 ? s.Stats[^1].LateBlocks : 0;
            var path = Path.Combine(folder.Path, $"take{i}.wav");
            var render = new Renderer(engine).Render(path, new RenderRequest(seconds, new SamplingSettings(1f, 1f, (ulong)(1000 + i)), SampleRate: server.SampleRate), cancel: TestContext.Current.CancellationToken);
            if (i % 2 == 0)
            {
                Assert.Equal(total, s.Audio.Length);
                Assert.Equal(render.Takes[0].ClassesSha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(s.Audio)));
            }
            else
            {
                var wav = File.ReadAllBytes(path);
                Assert.Equal(wav.AsSpan(44).ToArray(), s.Audio);
            }
        }
        output.WriteLine($"{clients} streams of {seconds} s at {server.SampleRate} Hz: all complete and identical to render; late blocks reported {late}.");
    }
}
