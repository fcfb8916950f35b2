using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Mamba.Audio.Host.Terminal;
using Mamba.Core.Checkpoints;
using Mamba.Core.Engines;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Model;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Mamba.Audio.Host.Commands.Bench;

/// <summary>
/// `mamba-audio bench generate`: generation speed per engine and stream count, peak memory against
/// the duration rendered, and the Transformer baseline's cost per sample against context length
/// next to Mamba's constant per-sample time and state.
/// </summary>
public sealed class GenerateCommand : Command<GenerateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--presets <LIST>")][Description("Model sizes with random weights (cost the same as trained ones): tiny, small, base (default small,base).")]
        public string Presets { get; init; } = "small,base";

        [CommandOption("--checkpoint <DIR>")][Description("Measure this Mamba checkpoint instead of the presets.")]
        public string? Checkpoint { get; init; }

        [CommandOption("--streams <LIST>")][Description("Streams generated at once (default 1,8,64).")]
        public string Streams { get; init; } = "1,8,64";

        [CommandOption("--engines <LIST>")][Description("cpu (the fused C# engine; libtorch is not loaded for it alone), cuda (the ILGPU engine on the first NVIDIA GPU; no libtorch; few streams each spread over several multiprocessors), cuda-tiles (the same engine never spreading a stream: every stream count in tiles, for comparison) and/or torch (the reference, on --device) (default cpu,torch).")]
        public string Engines { get; init; } = "cpu,torch";

        [CommandOption("--cuda-parts <LIST>")][Description("For the cuda engine: groups a stream is spread over, each measured: auto (the engine's choice), or counts that divide d_inner, d_model and 256, at most the GPU's multiprocessors (default auto).")]
        public string CudaParts { get; init; } = "auto";

        [CommandOption("--cuda-cluster <LIST>")][Description("For the cuda engine while it spreads streams: how a stream's parts exchange, each measured: auto (the engine's choice: clusters where the GPU has them), on (the parts as one thread-block cluster, through each other's shared memory; compute capability 9.0, at most 16 parts) or off (through L2) (default auto).")]
        public string CudaCluster { get; init; } = "auto";

        [CommandOption("--cuda-tile <LIST>")][Description("For cuda-tiles: streams a group steps together, each measured: auto (the engine's choice) or counts in 1..16 that the model's tile fits (default auto).")]
        public string CudaTile { get; init; } = "auto";

        [CommandOption("--cuda-profile")][Description("For the cuda engine while it spreads streams: after each row, one more launch of 4096 steps whose first 512 are stamped by each group's clock, and a table of where a step's cycles go (phase by phase, the parts' mean and the slowest part).")]
        public bool CudaProfile { get; init; }

        [CommandOption("--device <DEVICE>")][Description("auto (default), cpu, cuda or cuda:N: where the torch engine and the Transformer run.")]
        public string Device { get; init; } = "auto";

        [CommandOption("--threads <N>")][Description("CPU engine threads, 0 = every core (default 0).")]
        public int Threads { get; init; } = 0;

        [CommandOption("--vector-widths <LIST>")][Description("CPU engine vector widths to measure: auto, 512, 256, scalar (default auto; every width gives the same samples).")]
        public string VectorWidths { get; init; } = "auto";

        // Default 1: a one-sample step is too small to gain from intra-op threads, and on a busy
        // 2-core machine every parallel region waits for a descheduled thread (measured: the base
        // torch engine 8 samples/s with libtorch's 2 threads against 493 with 1; a Transformer step
        // at 16k context 128 ms against 15 ms).
        [CommandOption("--torch-threads <N>")][Description("libtorch intra-op threads for the torch engine and the Transformer, 0 = libtorch's default (default 1: one-sample steps gain nothing from more, and lose much on a busy machine).")]
        public int TorchThreads { get; init; } = 1;

        [CommandOption("--runs <N>")][Description("Timed runs per engine case; the median is reported (default 3).")]
        public int Runs { get; init; } = 3;

        [CommandOption("--seconds-per-run <S>")][Description("Minimum length of a timed run (default 0.5).")]
        public double SecondsPerRun { get; init; } = 0.5;

        [CommandOption("--contexts <LIST>")][Description("Transformer KV-cache lengths in samples (default 1024,16384,65536,163840: 64 ms to 10 s at 16 kHz; measured only when --engines has torch, the Transformer needs libtorch).")]
        public string Contexts { get; init; } = "1024,16384,65536,163840";

        [CommandOption("--transformer-steps <N>")][Description("Timed Transformer steps at each context; the median is reported (default 3).")]
        public int TransformerSteps { get; init; } = 3;

        [CommandOption("--memory-seconds <LIST>")][Description("Durations rendered by child `render` processes to measure peak memory (default 10,60; the full check: 10,60,3600; none to skip).")]
        public string MemorySeconds { get; init; } = "10,60";

        [CommandOption("--memory-preset <NAME>")][Description("Model of the memory renders when no --checkpoint is given (default small).")]
        public string MemoryPreset { get; init; } = "small";

        [CommandOption("--json <PATH>")][Description("Where to write the JSON result (default artifacts/bench/generate.json).")]
        public string Json { get; init; } = "artifacts/bench/generate.json";

        public override ValidationResult Validate()
        {
            if (Checkpoint is null && !TryNames(Presets, out _, out var bad)) return ValidationResult.Error($"--presets {Presets}: '{bad}' is not one of {string.Join(", ", MambaPresets.All.Keys)}.");
            if (!TryInts(Streams, 1, 4096, out _)) return ValidationResult.Error($"--streams {Streams}: expected a comma-separated list of counts in 1..4096.");
            if (!TryEngines(Engines, out _)) return ValidationResult.Error($"--engines {Engines}: expected a list of cpu, cuda, cuda-tiles and torch.");
            if (CudaParts != "auto" && !TryInts(CudaParts, 1, 1024, out _)) return ValidationResult.Error($"--cuda-parts {CudaParts}: expected auto or a comma-separated list of counts in 1..1024.");
            if (!TryClusterModes(CudaCluster, out _)) return ValidationResult.Error($"--cuda-cluster {CudaCluster}: expected a comma-separated list of auto, on and off.");
            if (!TryAutoInts(CudaTile, 1, 16, out _)) return ValidationResult.Error($"--cuda-tile {CudaTile}: expected a comma-separated list of auto and counts in 1..16.");
            if (!DeviceChoice.IsValid(Device)) return ValidationResult.Error($"--device {Device}: expected auto, cpu, cuda or cuda:N.");
            if (Threads is < 0 or > 1024) return ValidationResult.Error($"--threads {Threads}: must be in 0..1024 (0 = every core).");
            if (!TryWidths(VectorWidths, out _)) return ValidationResult.Error($"--vector-widths {VectorWidths}: expected a comma-separated list of auto, 512, 256, scalar.");
            if (TorchThreads is < 0 or > 1024) return ValidationResult.Error($"--torch-threads {TorchThreads}: must be in 0..1024 (0 = libtorch's default).");
            if (Runs is < 1 or > 1000) return ValidationResult.Error($"--runs {Runs}: must be in 1..1000.");
            if (!(SecondsPerRun > 0 && SecondsPerRun <= 600)) return ValidationResult.Error($"--seconds-per-run {SecondsPerRun}: must be in (0, 600].");
            if (Contexts != "none" && !TryInts(Contexts, 0, 100_000_000, out _)) return ValidationResult.Error($"--contexts {Contexts}: expected a comma-separated list of lengths in 0..100000000, or none.");
            if (TransformerSteps is < 1 or > 1000) return ValidationResult.Error($"--transformer-steps {TransformerSteps}: must be in 1..1000.");
            if (MemorySeconds != "none" && !TryDoubles(MemorySeconds, out _)) return ValidationResult.Error($"--memory-seconds {MemorySeconds}: expected a comma-separated list of durations in (0, 86400], or none.");
            if (!MambaPresets.All.ContainsKey(MemoryPreset)) return ValidationResult.Error($"--memory-preset {MemoryPreset}: expected one of {string.Join(", ", MambaPresets.All.Keys)}.");
            return ValidationResult.Success();
        }

        public IReadOnlyList<string> PresetList => TryNames(Presets, out var names, out _) ? names : [];
        /// <summary>Parts a stream for the cuda engine; null is the engine's choice.</summary>
        public IReadOnlyList<int?> CudaPartsList => CudaParts == "auto" ? [null] : TryInts(CudaParts, 1, 1024, out var p) ? p.Select(n => (int?)n).ToArray() : [];

        /// <summary>Cluster modes for the cuda engine's spread streams; null is the engine's choice.</summary>
        public IReadOnlyList<bool?> CudaClusterList => TryClusterModes(CudaCluster, out var modes) ? modes : [];

        private static bool TryClusterModes(string text, out IReadOnlyList<bool?> modes)
        {
            var list = new List<bool?>();
            modes = list;
            foreach (string mode in Split(text))
            {
                if (mode == "auto") list.Add(null);
                else if (mode == "on") list.Add(true);
                else if (mode == "off") list.Add(false);
                else return false;
            }
            return list.Count > 0;
        }

        /// <summary>Streams a group for cuda-tiles; null is the engine's choice.</summary>
        public IReadOnlyList<int?> CudaTileList => TryAutoInts(CudaTile, 1, 16, out var t) ? t : [];

        /// <summary>A comma-separated list of "auto" (null) and integers in [min, max].</summary>
        public static bool TryAutoInts(string text, int min, int max, out IReadOnlyList<int?> values)
        {
            var list = new List<int?>();
            values = list;
            foreach (var part in Split(text))
            {
                if (part == "auto") list.Add(null);
                else if (TryInts(part, min, max, out var one)) list.Add(one[0]);
                else return false;
            }
            return list.Count > 0;
        }

        public IReadOnlyList<int> StreamList => TryInts(Streams, 1, 4096, out var v) ? v : [];
        public IReadOnlyList<string> EngineList => TryEngines(Engines, out var v) ? v : [];
        public IReadOnlyList<int> ContextList => Contexts != "none" && TryInts(Contexts, 0, 100_000_000, out var v) ? v : [];
        public IReadOnlyList<CpuVectorWidth> VectorWidthList => TryWidths(VectorWidths, out var v) ? v : [];
        public bool UsesTorch => EngineList.Contains("torch");
        public IReadOnlyList<double> MemorySecondsList => MemorySeconds != "none" && TryDoubles(MemorySeconds, out var v) ? v : [];

        private static string[] Split(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        private static bool TryNames(string list, out string[] names, out string? bad)
        {
            names = Split(list);
            bad = names.FirstOrDefault(n => !MambaPresets.All.ContainsKey(n)) ?? (names.Length == 0 ? list : null);
            return bad is null;
        }

        private static bool TryEngines(string list, out string[] engines)
        {
            engines = Split(list);
            return engines.Length > 0 && engines.All(e => e is "cpu" or "cuda" or "cuda-tiles" or "torch");
        }

        private static bool TryWidths(string list, out CpuVectorWidth[] widths)
        {
            var parts = Split(list);
            widths = new CpuVectorWidth[parts.Length];
            for (int i = 0; i < parts.Length; i++)
                if (!CpuVectorWidths.TryParse(parts[i], out widths[i])) return false;
            return parts.Length > 0;
        }

        internal static bool TryInts(string list, int min, int max, out int[] values)
        {
            var parts = Split(list);
            values = new int[parts.Length];
            for (int i = 0; i < parts.Length; i++)
                if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out values[i]) || values[i] < min || values[i] > max) return false;
            return parts.Length > 0;
        }

        private static bool TryDoubles(string list, out double[] values)
        {
            var parts = Split(list);
            values = new double[parts.Length];
            for (int i = 0; i < parts.Length; i++)
                if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !(values[i] > 0 && values[i] <= 86_400)) return false;
            return parts.Length > 0;
        }
    }

    /// <summary>Peak memory of a child `render` of <paramref name="Seconds"/>.</summary>
    public sealed record MemoryRow(string Preset, double Seconds, long PeakMemoryBytes, double RealTimeFactor, double WallSeconds);

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        // Everything torch (the reference engine, the Transformer) lives in TorchGenerateBench, so a
        // cpu-only run never loads libtorch.
        var torch = settings.UsesTorch ? TorchGenerateBench.Start(settings) : null;
        if (torch is null) Startup.PrintCpu("the CPU engine; libtorch is not loaded");
        var checkpoint = settings.Checkpoint is { } path ? MambaCheckpoint.Load(path) : null;
        List<(string Name, MambaConfig Config)> models = checkpoint is not null
            ? [("checkpoint", checkpoint.Config)]
            : settings.PresetList.Select(p => (Name: p, Config: MambaPresets.Get(p))).ToList();

        // 1. Speed per engine and stream count.
        var engineRows = new List<EngineBenchmarkRow>();
        var profiles = new List<object>();
        var speed = new Table().AddColumns("engine", "model", "streams", "threads", "samples/s", "per stream", "RTF / stream");
        void Report(EngineBenchmarkRow r)
        {
            engineRows.Add(r);
            AnsiConsole.WriteLine($"{r.Engine,-11} {r.Preset,-10} {r.Streams,4} streams {r.SamplesPerSecond,10:N0} samples/s  RTF {r.RealTimeFactor:F2}x/stream");
            speed.AddRow(Markup.Escape(r.Engine), Markup.Escape(r.Preset), $"{r.Streams}", $"{r.Threads}", $"{r.SamplesPerSecond:N0}",
                $"{r.SamplesPerSecondPerStream:N0}", $"{r.RealTimeFactor:F2}x");
        }
        foreach (var (name, config) in models)
        {
            if (settings.EngineList.Contains("cpu"))
            {
                var weights = checkpoint is not null ? new CpuWeights(checkpoint) : CpuWeights.Random(config, seed: 1);
                foreach (var width in settings.VectorWidthList)
                    foreach (int streams in settings.StreamList)
                        Report(EngineBenchmark.MeasureCpu(name, weights, streams, new CpuEngineOptions(settings.Threads, width), settings.Runs, settings.SecondsPerRun));
            }
            foreach (string cuda in new[] { "cuda", "cuda-tiles" }.Where(settings.EngineList.Contains))
            {
                var weights = checkpoint is not null ? new CpuWeights(checkpoint) : CpuWeights.Random(config, seed: 1);
                foreach (int? parts in cuda == "cuda-tiles" ? [0] : settings.CudaPartsList)
                foreach (bool? clusters in cuda == "cuda-tiles" ? [false] : settings.CudaClusterList)
                foreach (int? tile in cuda == "cuda-tiles" ? settings.CudaTileList : [null])
                foreach (int streams in settings.StreamList)
                {
                    using var engine = new Mamba.Core.Cuda.CudaStepEngine(weights, streams, Mamba.Core.Cuda.CudaAccelerators.Cuda(),
                        streamsPerGroup: tile is { } t ? Math.Min(t, streams) : null, partsPerStream: parts, clusters: clusters);
                    bool spread = engine.Spreads(streams);
                    int perGroup = engine.StreamsPerGroup(streams);
                    string label = spread ? $"cuda, {engine.PartsPerStream} groups a stream{(engine.Clustered ? " in a cluster" : ", through L2")}"
                        : $"{cuda}, {perGroup} a group, {(streams + perGroup - 1) / perGroup} groups, {engine.ResidentGroupsPerMultiprocessor(perGroup)} fit a multiprocessor";
                    // One launch runs 4096 steps of every stream (the persistent kernel); the run is timed whole.
                    Report(EngineBenchmark.Measure(engine, label, name,
                        spread ? engine.SpreadGroupSize : engine.GroupSize, weights.Bytes, settings.Runs, settings.SecondsPerRun, blockSamples: 4096));
                    if (settings.CudaProfile && spread) profiles.Add(ReportProfile(engine, name, streams, engineRows[^1]));
                }
            }
            torch?.MeasureEngine(name, config, checkpoint, settings, Report);
        }
        speed.Caption("RTF: real-time factor at 16 kHz, audio seconds per wall second; above 1 is faster than real time. " +
                      string.Join(", ", models.Select(m => $"{m.Name} = d_model {m.Config.DModel} x {m.Config.NLayer} layers")));
        AnsiConsole.Write(speed);

        // 2. Peak memory against duration, each in a fresh process.
        var memoryRows = new List<MemoryRow>();
        if (settings.MemorySecondsList.Count > 0)
        {
            var scratch = Directory.CreateTempSubdirectory("mamba-bench-generate-").FullName;
            try
            {
                string memoryModel = settings.Checkpoint ?? Path.Combine(scratch, "model");
                if (settings.Checkpoint is null)
                {
                    var config = MambaPresets.Get(settings.MemoryPreset);
                    MambaCheckpoint.Save(memoryModel, config, MambaRandomWeights.Create(config, seed: 1));
                }
                foreach (double seconds in settings.MemorySecondsList)
                {
                    var row = MeasureRenderMemory(settings.Checkpoint is null ? settings.MemoryPreset : "checkpoint", memoryModel, seconds,
                        settings.Threads, Path.Combine(scratch, $"render-{seconds.ToString(CultureInfo.InvariantCulture)}.wav"));
                    AnsiConsole.WriteLine($"render {seconds} s: peak memory {row.PeakMemoryBytes / 1048576.0:F1} MiB, RTF {row.RealTimeFactor:F2}x");
                    memoryRows.Add(row);
                }
            }
            finally
            {
                Directory.Delete(scratch, recursive: true);
            }
            var memory = new Table().AddColumns("render", "model", "peak memory (VmHWM)", "RTF", "wall time");
            foreach (var r in memoryRows)
                memory.AddRow($"{r.Seconds:0.###} s", Markup.Escape(r.Preset), $"{r.PeakMemoryBytes / 1048576.0:F1} MiB", $"{r.RealTimeFactor:F2}x", $"{r.WallSeconds:F1} s");
            memory.Caption("each a fresh `render` process: CPU engine, 1 stream");
            AnsiConsole.Write(memory);
        }

        // 3. The Transformer baseline against context length, matched to the largest Mamba measured.
        var (matchName, matchConfig) = models.MaxBy(m => m.Config.ParameterCount);
        object? transformer = null;
        if (torch is not null)
            transformer = torch.MeasureTransformer(matchName, matchConfig, engineRows, settings);
        else if (settings.ContextList.Count > 0)
            AnsiConsole.MarkupLine("[grey]Transformer baseline not measured: it needs libtorch (add torch to --engines).[/]");

        var libraries = NativeLibraries.Loaded();
        JsonReport.Write(settings.Json, new
        {
            Machine = MachineInfo.Describe(),
            Date = DateTime.UtcNow,
            Device = torch?.DeviceName ?? "cpu",
            SampleRate = EngineBenchmark.SampleRate,
            Settings = new
            {
                Models = models.Select(m => new { m.Name, m.Config.DModel, m.Config.NLayer, Parameters = m.Config.ParameterCount }),
                Streams = settings.StreamList, Engines = settings.EngineList, settings.Threads, VectorWidths = settings.VectorWidthList.Select(w => w.Name()),
                settings.TorchThreads, settings.Runs, settings.SecondsPerRun,
                Contexts = settings.ContextList, settings.TransformerSteps, MemorySeconds = settings.MemorySecondsList,
            },
            Engines = engineRows,
            CudaProfiles = profiles,
            Memory = memoryRows,
            Transformer = transformer,
            LibtorchLoaded = NativeLibraries.HasLibtorch(libraries),
            NativeLibraries = libraries,
            WallSeconds = clock.Elapsed.TotalSeconds,
        });
        return 0;
    }

    /// <summary>Profiles one launch of the spread kernel (<see cref="Mamba.Core.Cuda.CudaStepEngine.ProfileSpread"/>) and prints where a step's cycles go.</summary>
    private static object ReportProfile(Mamba.Core.Cuda.CudaStepEngine engine, string preset, int streams, EngineBenchmarkRow measured)
    {
        const int samples = Mamba.Core.Cuda.CudaStepEngine.MaxStepsPerLaunch;
        var profile = engine.ProfileSpread(samples, new byte[engine.Slots * samples]);
        double stepMicroseconds = 1e6 * streams / measured.SamplesPerSecond;   // from the timed row, unprofiled
        var table = new Table().AddColumns("phase (layer phases summed over layers)", "cycles a step, parts' mean", "slowest part", "share");
        foreach (var phase in profile.Phases)
            table.AddRow(Markup.Escape(phase.Name), $"{phase.MeanCycles:N0}", $"{phase.MaxCycles:N0}", $"{phase.MeanCycles / profile.CyclesPerStep:P1}");
        table.AddRow("step", $"{profile.CyclesPerStep:N0}", "", "100%");
        double cyclesPerMicrosecond = profile.CyclesPerStep / stepMicroseconds;
        table.Caption($"{preset}, {streams} stream(s), {profile.Parts} groups, {profile.StepsMeasured} steps stamped after {Mamba.Core.Cuda.CudaSpreadProfile.WarmSteps}; " +
                      $"the timed row's step: {stepMicroseconds:F1} us, so {cyclesPerMicrosecond:F0} stamped cycles a us (device clock rate {profile.ClockMHz:F0} MHz)");
        AnsiConsole.Write(table);
        return new { Preset = preset, Streams = streams, profile.Parts, profile.StepsMeasured, profile.ClockMHz, profile.CyclesPerStep, StepMicroseconds = stepMicroseconds, profile.Phases };
    }

    /// <summary>Runs `mamba-audio render` in a child process and reads its peak memory from the JSON sidecar.</summary>
    private static MemoryRow MeasureRenderMemory(string preset, string checkpoint, double seconds, int threads, string output)
    {
        var info = HostProcess("render", "--checkpoint", checkpoint, "--out", output, "--seconds", seconds.ToString(CultureInfo.InvariantCulture),
            "--engine", "cpu", "--device", "cpu", "--threads", threads.ToString(CultureInfo.InvariantCulture));
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start a render process.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"the render child exited with {process.ExitCode}:\n{stdout.Result}\n{stderr.Result}");
        using var sidecar = JsonDocument.Parse(File.ReadAllText(RenderOutputs.SidecarPath(output)));
        var root = sidecar.RootElement;
        return new MemoryRow(preset, seconds, root.GetProperty("PeakMemoryBytes").GetInt64(),
            root.GetProperty("RealTimeFactor").GetDouble(), root.GetProperty("ElapsedSeconds").GetDouble());
    }

    /// <summary>This same app (mamba-audio.dll beside this assembly) under the dotnet host, output captured.</summary>
    internal static ProcessStartInfo HostProcess(params string[] arguments)
    {
        string? dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (dotnet is null && Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet") dotnet = self;
        var info = new ProcessStartInfo(dotnet ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mamba-audio.dll"));
        foreach (var a in arguments) info.ArgumentList.Add(a);
        return info;
    }
}
