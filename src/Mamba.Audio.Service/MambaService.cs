using System.Net;
using System.Reflection;
using System.Text.Json;
using Mamba.Audio.Service.Batching;
using Mamba.Audio.Service.Metrics;
using Mamba.Audio.Service.Protocol;
using Mamba.Audio.Service.Security;
using Mamba.Audio.Service.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Mamba.Audio.Service;

/// <summary>
/// The service: Kestrel on one address and port, serving the web page at /, the stream endpoint at
/// /ws (docs/PROTOCOL.md), /health and /metrics (Prometheus text), and /models. Started by
/// <see cref="StartAsync"/>, stopped by <see cref="DisposeAsync"/>; it owns the model catalog.
/// </summary>
public sealed class MambaService : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ModelCatalog models;
    private readonly CancellationTokenSource stopping = new();
    private int connections;

    private MambaService(WebApplication app, ModelCatalog models, ServiceOptions options, ServiceMetrics metrics)
    {
        this.app = app;
        this.models = models;
        Options = options;
        Metrics = metrics;
    }

    public ServiceOptions Options { get; }
    public ServiceMetrics Metrics { get; }
    public ModelCatalog Models => models;
    /// <summary>The port Kestrel bound (the one asked for, or the free one it took for 0).</summary>
    private int disposed;

    public int Port { get; private set; }
    public string Url => $"http://{(Options.Address.Contains(':') ? $"[{Options.Address}]" : Options.Address)}:{Port}";
    public int OpenConnections => Volatile.Read(ref connections);

    /// <summary>Builds and starts the service; the catalog is owned from here on.</summary>
    public static async Task<MambaService> StartAsync(ServiceOptions options, ModelCatalog models, ServiceMetrics metrics, ILoggerProvider? log = null)
    {
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (log is not null) builder.Logging.AddProvider(log);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 64 * 1024;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(30);
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);   // a half-open or slowloris request before the upgrade
            void Listen(ListenOptions listen) => listen.Use(next => connection =>
            {
                // A small kernel send buffer: a client that stops reading is noticed as slow within seconds rather than after megabytes.
                if (connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket) socket.SendBufferSize = options.SocketSendBufferBytes;
                return next(connection);
            });
            if (options.Address == "localhost") k.ListenLocalhost(options.Port, Listen);
            else k.Listen(IPAddress.Parse(options.Address), options.Port, Listen);
        });
        var app = builder.Build();
        var service = new MambaService(app, models, options, metrics);
        service.Map(app);
        try
        {
            await app.StartAsync();
        }
        catch (IOException e)   // Kestrel's AddressInUseException is one
        {
            await app.DisposeAsync();
            models.Dispose();
            throw new IOException($"cannot listen on {options.Address}:{options.Port}: {e.Message}", e);
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        service.Port = new Uri(address.Replace("[::]", "localhost")).Port;
        return service;
    }

    private void Map(WebApplication web)
    {
        var origins = new OriginPolicy(Options);
        var tokens = new TokenAccounts(Options);
        web.UseWebSockets(new WebSocketOptions { KeepAliveInterval = Options.KeepAliveInterval, KeepAliveTimeout = Options.KeepAliveTimeout });

        web.MapGet("/", () => Page("index.html", "text/html; charset=utf-8"));
        web.MapGet("/app.js", () => Page("app.js", "text/javascript; charset=utf-8"));
        web.MapGet("/msgpack.js", () => Page("msgpack.js", "text/javascript; charset=utf-8"));
        web.MapGet("/player-worklet.js", () => Page("player-worklet.js", "text/javascript; charset=utf-8"));
        web.MapGet("/favicon.ico", () => Results.NoContent());
        web.MapGet("/health", () => Results.Json(new
        {
            status = models.Batches.All(b => b.Failure is null) ? "ok" : "failing",
            models = models.Batches.Select(b => new { name = b.Name, streams = b.StreamCount, slots = b.Slots, failure = b.Failure }),
            connections = OpenConnections,
        }, statusCode: models.Batches.All(b => b.Failure is null) ? 200 : 503));
        web.MapGet("/models", () => Results.Json(models.Batches.Select(b => new
        {
            name = b.Name, sample_rate = b.SampleRate, d_model = b.Config.DModel, n_layer = b.Config.NLayer, slots = b.Slots, streams = b.StreamCount,
        })));
        web.MapGet("/metrics", async (HttpContext context) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await Metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
        });
        web.Map(ProtocolInfo.Path, async (HttpContext context) =>
        {
            if (!context.WebSockets.IsWebSocketRequest) { await Reject(context, 400, "not_websocket", "this endpoint speaks WebSocket only (docs/PROTOCOL.md)."); return; }
            if (!origins.Allows(context.Request.Headers.Origin, context.Request.Scheme, context.Request.Host.Value ?? ""))
            { await Reject(context, 403, "origin", $"pages from {context.Request.Headers.Origin} may not connect; the server allows its own page and --allow-origin."); return; }
            var account = tokens.Find(PresentedToken(context.Request));
            if (account is null) { await Reject(context, 401, "token", "a valid access token is needed: Authorization: Bearer TOKEN, or ?token=TOKEN."); return; }
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            Metrics.Connections.Inc();
            Interlocked.Increment(ref connections);
            try
            {
                await new StreamSession(socket, account, models, Options, Metrics).RunAsync(stopping.Token);
            }
            finally { Interlocked.Decrement(ref connections); }
        });
    }

    private Task Reject(HttpContext context, int status, string reason, string message)
    {
        Metrics.Rejected.WithLabels(reason).Inc();
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message + "\n");
    }

    private static string? PresentedToken(HttpRequest request)
    {
        string? header = request.Headers.Authorization;
        if (header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header["Bearer ".Length..].Trim();
        return request.Query["token"].FirstOrDefault();
    }

    private static IResult Page(string name, string type)
    {
        using var resource = Assembly.GetExecutingAssembly().GetManifestResourceStream("web/" + name)
            ?? throw new InvalidOperationException($"the page's {name} is not embedded in the build.");
        using var memory = new MemoryStream();
        resource.CopyTo(memory);
        return Results.Bytes(memory.ToArray(), type);
    }

    /// <summary>Stops the server (its streams end) and releases the engines; a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        stopping.Cancel();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await app.StopAsync(timeout.Token);
        await app.DisposeAsync();
        models.Dispose();
    }
}
