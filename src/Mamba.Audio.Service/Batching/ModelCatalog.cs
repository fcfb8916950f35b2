using Mamba.Audio.Service.Metrics;
using Mamba.Core.Checkpoints;
using Mamba.Core.Cuda;
using Mamba.Core.Engines;
using Mamba.Core.Engines.Cpu;

namespace Mamba.Audio.Service.Batching;

/// <summary>Which engine a service's batches run on.</summary>
public enum ServiceEngine { Cpu, Cuda }

/// <summary>A model to load: its name in the protocol and its checkpoint, or weights already in memory.</summary>
public sealed record ModelSource(string Name, string? CheckpointPath, CpuWeights? Weights = null, int SampleRate = 16000)
{
    /// <summary>"name=path" or a path (the name is the checkpoint folder's name).</summary>
    public static ModelSource Parse(string text)
    {
        int eq = text.IndexOf('=');
        string path = eq > 0 ? text[(eq + 1)..] : text;
        string name = eq > 0 ? text[..eq] : Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));
        if (name.Length == 0 || name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new ArgumentException($"model name '{name}' must be 1-64 letters, digits, '-', '_' or '.'; give NAME=PATH.");
        return new ModelSource(name, path);
    }
}

/// <summary>The loaded models, each with its own batch (engine, slots, thread).</summary>
public sealed class ModelCatalog : IDisposable
{
    private readonly Dictionary<string, ModelBatch> batches = new(StringComparer.Ordinal);

    /// <summary>Slots the engine of a model with <c>slots: null</c> (auto) is measured with: the most it may get.</summary>
    public const int MaxAutoSlotsCpu = 256, MaxAutoSlotsCuda = 4096;

    /// <param name="slots">Streams each model's batch holds at once; null measures each model's <see cref="BatchCapacity"/> and gives it that many.</param>
    /// <param name="measureCapacity">Measure the capacity even with fixed slots (shown by serve; a fraction of a second a model).</param>
    public ModelCatalog(IReadOnlyList<ModelSource> models, int? slots, ServiceEngine engine, int threads, ServiceMetrics metrics, int chunk = 128,
        bool measureCapacity = false)
    {
        if (models.Count == 0) throw new ArgumentException("serve needs at least one model (--model PATH).");
        if (slots < 1) throw new ArgumentException($"--slots {slots}: at least 1.");
        try
        {
            foreach (var model in models)
            {
                if (batches.ContainsKey(model.Name)) throw new ArgumentException($"two models are named '{model.Name}'; give NAME=PATH to tell them apart.");
                var (weights, rate) = model.Weights is { } w ? (w, model.SampleRate) : Load(model);
                IStepEngine Create(int n) => engine == ServiceEngine.Cuda
                    ? new CudaStepEngine(weights, n, CudaAccelerators.HasCuda ? CudaAccelerators.Cuda()
                        : throw new InvalidOperationException("--engine cuda: no CUDA GPU on this machine (ILGPU found none); use --engine cpu."))
                    : new CpuStepEngine(weights, n, new CpuEngineOptions(threads));
                BatchCapacity? capacity = null;
                if (slots is null)
                {
                    using (var probe = Create(engine == ServiceEngine.Cuda ? MaxAutoSlotsCuda : MaxAutoSlotsCpu))
                        capacity = BatchCapacity.Measure(probe, chunk, rate);
                    if (capacity.RealTimeStreams < 1)
                        throw new ArgumentException($"--slots auto: model {model.Name} keeps no stream in real time on this machine: a step of {chunk} samples for one stream " +
                            $"takes {capacity.Points[0].StepMilliseconds:0.0} ms, against the {capacity.ChunkMilliseconds:0.0} ms of audio it makes. " +
                            "Give --slots N to serve it anyway (its streams will be late), or use a faster engine (--engine cuda) or a smaller model.");
                }
                var stepper = Create(slots ?? capacity!.RealTimeStreams);
                try
                {
                    if (capacity is null && measureCapacity) capacity = BatchCapacity.Measure(stepper, chunk, rate);
                }
                catch
                {
                    stepper.Dispose();
                    throw;
                }
                batches[model.Name] = new ModelBatch(model.Name, stepper, rate, chunk, onStep: metrics.StepObserver(model.Name)) { Capacity = capacity };
                Names.Add(model.Name);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Model names in the order given; the first is the default.</summary>
    public List<string> Names { get; } = [];

    public IEnumerable<ModelBatch> Batches => Names.Select(n => batches[n]);

    public ModelBatch? Find(string? name) => batches.GetValueOrDefault(name ?? Names[0]);

    private static (CpuWeights, int) Load(ModelSource model)
    {
        var checkpoint = MambaCheckpoint.Load(model.CheckpointPath!);
        return (new CpuWeights(checkpoint), checkpoint.SampleRate);
    }

    public void Dispose()
    {
        foreach (var batch in batches.Values) batch.Dispose();
        batches.Clear();
    }
}
