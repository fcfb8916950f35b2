using Mamba.Audio.Host.Terminal;
using Mamba.Core.Checkpoints;
using Mamba.Core.Engines;
using Mamba.Core.Model;
using Mamba.Training.Checkpoints;
using Mamba.Training.Engines;
using Mamba.Training.Model;
using Mamba.Training.Transformer;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Audio.Host.Commands.Bench;

/// <summary>
/// The parts of `bench generate` that need libtorch: the TorchSharp reference engine and the
/// Transformer baseline. Only built when --engines has torch, so a cpu-only run never loads libtorch.
/// </summary>
internal sealed class TorchGenerateBench
{
    private readonly Device device;
    private readonly string engineName;

    private TorchGenerateBench(Device device)
    {
        this.device = device;
        engineName = $"torch-{(device.type == DeviceType.CUDA ? "cuda" : "cpu")}";
    }

    public string DeviceName => device.ToString();

    public static TorchGenerateBench Start(GenerateCommand.Settings settings)
    {
        if (settings.TorchThreads > 0) set_num_threads(settings.TorchThreads);
        return new TorchGenerateBench(Startup.ResolveDevice(settings.Device));
    }

    /// <summary>The reference engine at every stream count, on the checkpoint or on random weights of <paramref name="config"/>.</summary>
    public void MeasureEngine(string name, MambaConfig config, LoadedCheckpoint? checkpoint, GenerateCommand.Settings settings, Action<EngineBenchmarkRow> report)
    {
        using var model = checkpoint is not null ? MambaModelCheckpoint.Load(checkpoint, settings.Checkpoint!, device, out _) : new MambaLM(config, seed: 1);
        model.to(device);
        foreach (int streams in settings.StreamList)
        {
            using var engine = new TorchStepEngine(model, streams);
            // Small blocks: the reference engine takes milliseconds per step.
            report(EngineBenchmark.Measure(engine, engineName, name, device.type == DeviceType.CPU ? get_num_threads() : 1,
                config.ParameterCount * sizeof(float), settings.Runs, settings.SecondsPerRun, blockSamples: 8));
        }
    }

    /// <summary>The Mamba that the Transformer is matched to: its per-sample step time and its constant state.</summary>
    public sealed record MambaReference(string Preset, long Parameters, long StateBytesPerStream,
        double? CpuEngineSecondsPerSample, double? TorchEngineSecondsPerSample);

    /// <summary>The Transformer's cost per sample against context, beside Mamba's constant step; returns the JSON section.</summary>
    public object MeasureTransformer(string matchName, MambaConfig matchConfig, IReadOnlyList<EngineBenchmarkRow> engineRows, GenerateCommand.Settings settings)
    {
        var tconfig = TransformerConfig.Matching(matchConfig.ParameterCount, matchConfig.NLayer);
        var rows = new List<TransformerStepRow>();
        var skipped = new List<long>();
        if (settings.ContextList.Count > 0)
        {
            using var transformer = new TransformerLM(tconfig, seed: 1);
            transformer.to(device);
            long budget = device.type == DeviceType.CPU ? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2 : long.MaxValue;
            foreach (int contextLength in settings.ContextList)
            {
                if (TransformerCache.BytesPerStream(tconfig, contextLength) > budget) { skipped.Add(contextLength); continue; }
                var row = TransformerStepBenchmark.Measure(transformer, contextLength, streams: 1, settings.TransformerSteps);
                AnsiConsole.WriteLine($"transformer context {contextLength,7}: {row.SecondsPerSample * 1e3,8:F3} ms/sample, cache {row.CacheBytesPerStream / 1048576.0:F1} MiB/stream");
                rows.Add(row);
            }
        }
        var cpuRow = engineRows.FirstOrDefault(r => r.Engine == "cpu" && r.Preset == matchName && r.Streams == 1);
        var torchRow = engineRows.FirstOrDefault(r => r.Engine == engineName && r.Preset == matchName && r.Streams == 1);
        var mamba = new MambaReference(matchName, matchConfig.ParameterCount, (long)matchConfig.NLayer * matchConfig.StateFloatsPerLayer * sizeof(float),
            cpuRow is null ? null : 1 / cpuRow.SamplesPerSecond, torchRow is null ? null : 1 / torchRow.SamplesPerSecond);
        if (rows.Count > 0 || skipped.Count > 0)
        {
            var versus = new Table().AddColumns("model at context (samples)", "ms / sample", "state / stream");
            string Ms(double s) => $"{s * 1e3:F3}";
            foreach (var r in rows)
                versus.AddRow($"Transformer at {r.Context:N0} ({r.Context / 16000.0:0.##} s)", Ms(r.SecondsPerSample), $"{r.CacheBytesPerStream / 1048576.0:F1} MiB KV cache");
            foreach (var s in skipped)
                versus.AddRow($"Transformer at {s:N0}", "skipped", $"{TransformerCache.BytesPerStream(tconfig, s) / 1048576.0:F1} MiB: > half the memory");
            if (mamba.CpuEngineSecondsPerSample is { } cpuSeconds)
                versus.AddRow("Mamba, cpu engine, any context", Ms(cpuSeconds), $"{mamba.StateBytesPerStream / 1024.0:F1} KiB");
            if (mamba.TorchEngineSecondsPerSample is { } torchSeconds)
                versus.AddRow($"Mamba, {engineName} engine, any context", Ms(torchSeconds), $"{mamba.StateBytesPerStream / 1024.0:F1} KiB");
            versus.Caption($"1 stream. Transformer d_model {tconfig.DModel} x {tconfig.NLayer}, {tconfig.NHead} heads ({tconfig.ParameterCount:N0} parameters) on {device.type}; " +
                           $"Mamba {matchName} ({matchConfig.ParameterCount:N0} parameters)");
            AnsiConsole.Write(versus);
        }
        return new { Config = tconfig, Parameters = tconfig.ParameterCount, Rows = rows, SkippedContexts = skipped, Mamba = mamba, TorchThreadsUsed = get_num_threads() };
    }
}
