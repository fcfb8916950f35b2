using Mamba.Audio.Service.Client;
using Mamba.Audio.Service.Protocol;
using Mamba.Audio.Service.Tests.Support;

namespace Mamba.Audio.Service.Tests;

/// <summary>
/// Continuous batching under the two loads that could hurt the others: a client's ten-minute prompt
/// (primed in chunks between the steps) and thousands of hostile messages, each answered with an
/// error and a closed connection, while a well-behaved stream plays on.
/// </summary>
public class BatchingTests(ITestOutputHelper output)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>How late each block arrived against the stream's schedule (first arrival + k blocks), in seconds; the lead absorbs up to its length.</summary>
    private static double WorstLateness(ReceivedStream s, double blockSeconds, double lead)
    {
        double worst = 0, start = s.Arrivals[0];
        for (int k = 0; k < s.Arrivals.Count; k++)
            worst = Math.Max(worst, s.Arrivals[k] - (start + k * blockSeconds + lead));
        return worst;
    }

    [Fact]
    public async Task ATenMinutePrompt_DoesNotDelayTheOtherStreamsBeyondOneBlock()
    {
        await using var server = await TestService.StartAsync();
        const int block = 512;
        double blockSeconds = (double)block / server.SampleRate, lead = server.Service.Options.LeadMilliseconds / 1000.0;
        await using var steady = await server.ConnectAsync();
        await steady.StartAsync(new StartMessage(ProtocolInfo.Version, null, 1f, 1f, 3, null, block, AudioEncoding.MuLaw, 12), Cancel);
        var playing = ReceivedStream.ReadAsync(steady, TimeSpan.FromSeconds(60));
        await Task.Delay(1000, Cancel);

        // Ten minutes of mu-law prompt at the model's rate, in 1 MiB-limited pieces, then start.
        await using var prompted = await server.ConnectAsync();
        var random = new Random(TestSeed.Fresh());
        int total = 600 * server.SampleRate, piece = 512 * 1024;
        for (int at = 0; at < total; at += piece)
        {
            var data = new byte[Math.Min(piece, total - at)];
            random.NextBytes(data);
            await prompted.SendAsync(ClientMessageWriter.Prompt(new PromptMessage(AudioEncoding.MuLaw, server.SampleRate, data)), Cancel);
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await prompted.StartAsync(new StartMessage(ProtocolInfo.Version, null, 1f, 1f, 4, null, block, AudioEncoding.MuLaw, 0.5), Cancel);
        var primed = await ReceivedStream.ReadAsync(prompted, TimeSpan.FromSeconds(120));
        double priming = clock.Elapsed.TotalSeconds;
        var s = await playing;

        Assert.Empty(primed.Errors);
        Assert.Equal(total, primed.Started!.PromptSamples);
        Assert.Equal((int)(0.5 * server.SampleRate), primed.Audio.Length);
        Assert.Empty(s.Problems);
        Assert.Empty(s.Errors);
        double worst = WorstLateness(s, blockSeconds, lead);
        long late = s.Stats.Count > 0 ? s.Stats[^1].LateBlocks : 0;
        output.WriteLine($"a 600 s prompt primed in {priming:0.0} s beside a playing stream; that stream's worst lateness {worst * 1000:0} ms (a block is {blockSeconds * 1000:0} ms, the lead {lead * 1000:0} ms), late blocks {late}");
        Assert.True(priming > 1, "the prompt was primed too fast to overlap the other stream: the test proves nothing");
        Assert.True(worst <= blockSeconds, $"the playing stream's blocks came up to {worst * 1000:0} ms late; at most one block ({blockSeconds * 1000:0} ms) is allowed");
    }

    [Fact]
    public async Task ThousandsOfHostileMessages_EachGetAnError_WhileAGoodStreamPlaysOn()
    {
        await using var server = await TestService.StartAsync(o => o with { MaxMessageBytes = 8192 });
        await using var good = await server.ConnectAsync();
        await good.StartAsync(new StartMessage(ProtocolInfo.Version, null, 1f, 1f, 9, null, 256, AudioEncoding.MuLaw, 6), Cancel);
        var playing = ReceivedStream.ReadAsync(good, TimeSpan.FromSeconds(60));

        var random = new Random(TestSeed.Fresh());
        byte[] valid = ClientMessageWriter.Start(new StartMessage(1, null, 0.9f, 0.95f, 5, null, 512, AudioEncoding.Pcm16, 1));
        int cases = 0, answered = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var codes = new Dictionary<string, int>();
        while (cases < 2000 && clock.Elapsed < TimeSpan.FromSeconds(40))
        {
            var batch = Enumerable.Range(0, 8).Select(async _ =>
            {
                byte[] message;
                lock (random)
                {
                    message = random.Next(4) switch
                    {
                        0 => RandomBytes(random, random.Next(1, 200)),
                        1 => Mutate(random, valid),
                        2 => [0xc6, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3],     // a bin claiming 2 GiB
                        _ => RandomBytes(random, 9000),                      // over the size limit
                    };
                }
                await using var client = await server.ConnectAsync();
                await client.SendAsync(message, Cancel);
                return await ReceivedStream.ReadAsync(client, TimeSpan.FromSeconds(15));
            });
            foreach (var r in await Task.WhenAll(batch))
            {
                cases++;
                if (r.Errors.Count == 1) { answered++; codes[r.Errors[0].Code] = codes.GetValueOrDefault(r.Errors[0].Code) + 1; }
                else if (r.Started is not null) answered++;   // a mutation that is still a valid start: served, then ended
            }
        }
        var s = await playing;
        output.WriteLine($"{cases} hostile connections in {clock.Elapsed.TotalSeconds:0.0} s: {answered} answered ({string.Join(", ", codes.Select(kv => $"{kv.Key} {kv.Value}"))}); the good stream got {s.Blocks.Count} blocks, late {(s.Stats.Count > 0 ? s.Stats[^1].LateBlocks : 0)}");
        Assert.True(cases >= 1000, $"only {cases} cases ran");
        Assert.Equal(cases, answered);
        Assert.Empty(s.Problems);
        Assert.Empty(s.Errors);
        Assert.Equal(6 * server.SampleRate, s.Audio.Length);
        Assert.Equal(0, server.Service.Models.Find(null)!.StreamCount);
    }

    private static byte[] RandomBytes(Random random, int n)
    {
        var b = new byte[n];
        random.NextBytes(b);
        return b;
    }

    private static byte[] Mutate(Random random, byte[] valid)
    {
        var b = (byte[])valid.Clone();
        for (int m = random.Next(1, 4); m > 0 && b.Length > 0; m--)
            if (random.Next(2) == 0) b[random.Next(b.Length)] = (byte)random.Next(256);
            else b = b[..random.Next(b.Length)];
        return b.Length == 0 ? [0xc1] : b;
    }
}
