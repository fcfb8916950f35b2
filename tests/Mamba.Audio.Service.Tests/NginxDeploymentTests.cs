using System.Net.Http;
using Mamba.Audio.Service.Client;
using Mamba.Audio.Service.Protocol;
using Mamba.Audio.Service.Tests.Support;

namespace Mamba.Audio.Service.Tests;

/// <summary>
/// Two service instances behind Debian's nginx on loopback, configured by the repository's own
/// docs/deploy/nginx-two-instances.conf: streams spread over both, and stopping one instance ends only
/// the streams it carried while the other's play to their end; new streams then go to the survivor.
/// </summary>
public class NginxDeploymentTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TwoInstancesBehindNginx_ShareTheStreams_AndStoppingOneDropsOnlyItsOwn()
    {
        const int clients = 8;
        const double seconds = 6;
        await using var a = await TestService.StartAsync(slots: clients);
        var b = await TestService.StartAsync(slots: clients);
        await using var bOwned = b;
        using var folder = new TempFolder();
        // Readiness as documented: each instance's /health answers 200 before traffic is sent.
        using (var http = new HttpClient())
            foreach (var s in new[] { a, b })
                Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync(new Uri(s.HttpUri, "health"), TestContext.Current.CancellationToken)).StatusCode);
        await using var nginx = await NginxProcess.StartAsync(folder.Path, $"127.0.0.1:{a.Service.Port}", $"127.0.0.1:{b.Service.Port}");
        var front = new Uri($"ws://127.0.0.1:{nginx.Port}{ProtocolInfo.Path}");

        var connected = new List<StreamClient>();
        try
        {
            for (int i = 0; i < clients; i++)
            {
                var client = await StreamClient.ConnectAsync(front, TestService.Token, TestContext.Current.CancellationToken);
                connected.Add(client);
                await client.StartAsync(new StartMessage(ProtocolInfo.Version, null, 1f, 1f, (ulong)(300 + i), null, 256, AudioEncoding.MuLaw, seconds),
                    TestContext.Current.CancellationToken);
            }
            var reading = connected.Select(c => ReceivedStream.ReadAsync(c, TimeSpan.FromSeconds(60))).ToArray();
            await WaitFor(() => a.Service.Models.Find(null)!.StreamCount + b.Service.Models.Find(null)!.StreamCount == clients, "every stream to start");
            int onA = a.Service.Models.Find(null)!.StreamCount, onB = b.Service.Models.Find(null)!.StreamCount;
            output.WriteLine($"{clients} streams through nginx: {onA} on instance A, {onB} on instance B");
            Assert.True(onA > 0 && onB > 0, $"least_conn should spread the streams: {onA} on A, {onB} on B");

            await Task.Delay(1500, TestContext.Current.CancellationToken);
            await a.DisposeAsync();
            var streams = await Task.WhenAll(reading);

            long full = (long)(seconds * b.SampleRate);
            int complete = streams.Count(s => s.Audio.Length == full && s.Stopped?.Reason == "duration");
            int cut = streams.Count(s => s.Audio.Length < full);
            output.WriteLine($"after stopping A: {complete} streams complete (all of B's), {cut} ended early (A's)");
            Assert.Equal(onB, complete);
            Assert.Equal(onA, cut);
            foreach (var s in streams.Where(s => s.Audio.Length == full)) Assert.DoesNotContain(s.Problems, p => p.Contains("seq"));

            // With A gone, nginx sends a new stream to B (A's refused connection is retried on B).
            for (int i = 0; i < 2; i++)
            {
                await using var late = await StreamClient.ConnectAsync(front, TestService.Token, TestContext.Current.CancellationToken);
                await late.StartAsync(new StartMessage(ProtocolInfo.Version, null, 1f, 1f, 9, null, 256, AudioEncoding.MuLaw, 0.5), TestContext.Current.CancellationToken);
                var after = await ReceivedStream.ReadAsync(late, TimeSpan.FromSeconds(30));
                Assert.Equal("duration", after.Stopped?.Reason);
                Assert.Equal((long)(0.5 * b.SampleRate), after.Audio.Length);
            }
        }
        finally
        {
            foreach (var c in connected) await c.DisposeAsync();
        }
    }

    private static async Task WaitFor(Func<bool> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException($"waited 20 s for {what}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
