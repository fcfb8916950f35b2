using Mamba.Audio.Service.Batching;
using Mamba.Audio.Service.Client;
using Mamba.Audio.Service.Metrics;
using Mamba.Audio.Service.Protocol;
using Mamba.Audio.Service.Security;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Model;

namespace Mamba.Audio.Service.Tests.Support;

/// <summary>A real service on a free loopback port, with a small model of random weights (fast enough for many real-time streams on two cores).</summary>
public sealed class TestService : IAsyncDisposable
{
    public const string Token = "test-token-0123456789";

    private TestService(MambaService service, CpuWeights weights, int rate)
    {
        Service = service;
        Weights = weights;
        SampleRate = rate;
    }

    public MambaService Service { get; }
    public CpuWeights Weights { get; }
    public int SampleRate { get; }
    public Uri WebSocketUri => new($"ws://127.0.0.1:{Service.Port}{ProtocolInfo.Path}");
    public Uri HttpUri => new($"http://127.0.0.1:{Service.Port}/");

    public static async Task<TestService> StartAsync(Func<ServiceOptions, ServiceOptions>? configure = null, int slots = 16, int rate = 8000,
        MambaConfig? config = null, ulong seed = 5, int threads = 0)
    {
        var weights = CpuWeights.Random(config ?? new MambaConfig(16, 2), seed);
        var metrics = new ServiceMetrics();
        var catalog = new ModelCatalog([new ModelSource("tiny", null, weights, rate)], slots, ServiceEngine.Cpu, threads, metrics);
        var options = new ServiceOptions { Port = 0, Tokens = [Token], IdleTimeout = TimeSpan.FromSeconds(10) };
        options = configure?.Invoke(options) ?? options;
        return new TestService(await MambaService.StartAsync(options, catalog, metrics), weights, rate);
    }

    public Task<StreamClient> ConnectAsync(string? token = Token, int receiveBuffer = 0) =>
        StreamClient.ConnectAsync(WebSocketUri, token, default, receiveBuffer);

    public ValueTask DisposeAsync() => Service.DisposeAsync();
}
