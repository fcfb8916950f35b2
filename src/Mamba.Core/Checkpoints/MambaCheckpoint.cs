using System.Text.Json.Nodes;
using Mamba.Core.Model;

namespace Mamba.Core.Checkpoints;

/// <summary>
/// A Mamba LM checkpoint: a directory holding model.safetensors (tensors under mamba_ssm's
/// MambaLMHeadModel names) and config.json (<see cref="MambaConfigJson"/>), so weights move
/// between this project and PyTorch. Works on plain name -> <see cref="SafeTensor"/> dictionaries,
/// independent of any module class or tensor framework (Mamba.Training adapts TorchSharp models).
/// <para>
/// Dtypes: everything is written as F32. On load, F32 is expected; BF16 and F16 are accepted for
/// every tensor but A_log and D and widened to F32 (exactly), so half-precision exports from
/// PyTorch load; A_log and D must be F32, as mamba_ssm keeps them. Anything else is refused.
/// </para>
/// <para>
/// Tied head: mamba_ssm writes lm_head.weight even though it is the embedding. Save writes it as
/// a copy of the embedding when the dictionary lacks it; Load accepts a file without it, and
/// refuses one whose lm_head.weight differs from the embedding (an untied model would otherwise
/// change silently).
/// </para>
/// </summary>
public static class MambaCheckpoint
{
    /// <summary>File name of the weights inside a checkpoint directory.</summary>
    public const string WeightsFileName = "model.safetensors";

    /// <summary>Name of the token embedding, (padded_vocab, d_model).</summary>
    public const string EmbeddingName = "backbone.embedding.weight";

    /// <summary>Name of the LM head, tied to the embedding.</summary>
    public const string LmHeadName = "lm_head.weight";

    /// <summary>
    /// Every tensor of a checkpoint for <paramref name="config"/>, in mamba_ssm's state-dict order:
    /// embedding, per layer (norm, mixer.in_proj, conv1d weight and bias, x_proj, dt_proj weight
    /// and bias, A_log, D, out_proj), norm_f, lm_head.
    /// </summary>
    public static IReadOnlyList<CheckpointTensorSpec> ExpectedTensors(MambaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        long d = config.DModel, di = config.DInner, n = config.DState, r = config.DtRank, k = config.DConv, v = config.PaddedVocabSize;
        var specs = new List<CheckpointTensorSpec>(3 + 10 * config.NLayer);
        void Add(string name, string formula, bool halfOk, params long[] shape)
            => specs.Add(new CheckpointTensorSpec(name, shape, SafeTensorsDType.F32, formula, halfOk));

        Add(EmbeddingName, "(padded_vocab, d_model)", true, v, d);
        for (int i = 0; i < config.NLayer; i++)
        {
            string p = $"backbone.layers.{i}.";
            Add(p + "norm.weight", "(d_model)", true, d);
            Add(p + "mixer.in_proj.weight", "(2*d_inner, d_model)", true, 2 * di, d);
            Add(p + "mixer.conv1d.weight", "(d_inner, 1, d_conv)", true, di, 1, k);
            Add(p + "mixer.conv1d.bias", "(d_inner)", true, di);
            Add(p + "mixer.x_proj.weight", "(dt_rank + 2*d_state, d_inner)", true, r + 2 * n, di);
            Add(p + "mixer.dt_proj.weight", "(d_inner, dt_rank)", true, di, r);
            Add(p + "mixer.dt_proj.bias", "(d_inner)", true, di);
            Add(p + "mixer.A_log", "(d_inner, d_state)", false, di, n);   // float32 always (mamba_ssm)
            Add(p + "mixer.D", "(d_inner)", false, di);                    // float32 always (mamba_ssm)
            Add(p + "mixer.out_proj.weight", "(d_model, d_inner)", true, d, di);
        }
        Add("backbone.norm_f.weight", "(d_model)", true, d);
        Add(LmHeadName, "(padded_vocab, d_model)", true, v, d);
        return specs;
    }

    /// <summary>
    /// Writes model.safetensors and config.json into <paramref name="directory"/> (created if
    /// needed). The tensors are checked against <see cref="ExpectedTensors"/> first (names, shapes,
    /// F32), so a mismatched model never produces a file. Each file goes to a temporary file in the
    /// same directory, is flushed to the disk, and is renamed over the old one only when both are
    /// written, weights first: a failure leaves the old checkpoint whole. (A crash between the two
    /// renames can pair new weights with the old config.json; Load then reports the mismatch.)
    /// </summary>
    /// <param name="directory">The checkpoint directory.</param>
    /// <param name="config">The model's size.</param>
    /// <param name="tensors">Every expected tensor by name; lm_head.weight may be left out.</param>
    /// <param name="extras">This project's extra config fields, written under <see cref="MambaConfigJson.ExtrasKey"/>.</param>
    /// <exception cref="CheckpointException">The config is invalid or the tensors do not match it.</exception>
    public static void Save(string directory, MambaConfig config, IReadOnlyDictionary<string, SafeTensor> tensors, JsonObject? extras = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tensors);
        string context = $"cannot save checkpoint to {directory}";
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CheckpointException($"{context}: {e.Message}", e);
        }

        var specs = ExpectedTensors(config);
        var found = new Dictionary<string, (IReadOnlyList<long> Shape, string DType, bool IsF32, bool IsHalf)>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
            found[name] = (tensor.Shape, tensor.DType.FormatName(), tensor.DType == SafeTensorsDType.F32, false);
        CheckNamesShapesDTypes(context, "the config", config, specs, found, halfAllowed: false);

        var embedding = tensors[EmbeddingName];
        if (tensors.TryGetValue(LmHeadName, out var head) && !head.SameBits(embedding))
            throw new CheckpointException($"{context}: tensor '{LmHeadName}' differs from '{EmbeddingName}'; config.json ties them (tie_embeddings), so an untied head cannot be saved");

        if (extras is not null) CheckpointSampleRate.Read(extras, context);   // a bad rate is refused before anything is written
        var ordered = specs.Select(s => new KeyValuePair<string, SafeTensor>(s.Name,
            s.Name == LmHeadName ? head ?? embedding : tensors[s.Name])).ToList();
        // "format": "pt" is what PyTorch's safetensors writes; transformers' loaders look for it.
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        var configText = System.Text.Encoding.UTF8.GetBytes(MambaConfigJson.Serialize(config, extras));

        Directory.CreateDirectory(directory);
        using var weights = StagedFile.Write(Path.Combine(directory, WeightsFileName), s => SafeTensorsFile.Write(s, ordered, metadata));
        using var configFile = StagedFile.Write(Path.Combine(directory, MambaConfigJson.FileName), s => s.Write(configText));
        weights.Commit();
        configFile.Commit();
    }

    /// <summary>
    /// Reads a checkpoint: <paramref name="path"/> is its directory, or its .safetensors file with
    /// config.json beside it. Checks the weights' names, shapes and dtypes against config.json
    /// before reading any data, and the content hash when the file has one; half precision is
    /// widened to float32 (exactly).
    /// </summary>
    /// <exception cref="CheckpointException">Missing files, corruption, or weights that do not match config.json; the message names the file and the fault.</exception>
    public static LoadedCheckpoint Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (weightsPath, configPath) = Resolve(path);
        var (config, extras) = MambaConfigJson.Read(configPath);
        int sampleRate = CheckpointSampleRate.Read(extras, configPath);
        var specs = ExpectedTensors(config);

        var content = SafeTensorsFile.Read(weightsPath, header =>
        {
            var found = header.Entries.ToDictionary(e => e.Name,
                e => (e.Shape, e.DType.FormatName(), e.DType == SafeTensorsDType.F32, e.DType is SafeTensorsDType.BF16 or SafeTensorsDType.F16),
                StringComparer.Ordinal);
            CheckNamesShapesDTypes(weightsPath, "config.json", config, specs, found, halfAllowed: true);
        });

        var loaded = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            if (!content.Tensors.TryGetValue(spec.Name, out var tensor))
            {
                if (spec.Name != LmHeadName) throw new InvalidOperationException($"'{spec.Name}' passed the header check but was not read.");
                tensor = loaded[EmbeddingName];   // tied head left out by the writer
            }
            else if (tensor.DType != SafeTensorsDType.F32)
            {
                tensor = SafeTensor.FromFloats(tensor.ToFloats(), tensor.Shape.ToArray());
            }
            loaded.Add(spec.Name, tensor);
        }
        if (!loaded[LmHeadName].SameBits(loaded[EmbeddingName]))
            throw new CheckpointException($"{weightsPath}: tensor '{LmHeadName}' differs from '{EmbeddingName}', but config.json ties them (tie_embeddings): an untied head is unsupported.");
        return new LoadedCheckpoint(config, loaded, extras, sampleRate, content.HashVerified);
    }

    /// <summary>Finds the weights and config.json for a directory or a .safetensors path.</summary>
    private static (string Weights, string Config) Resolve(string path)
    {
        string directory, weights;
        if (Directory.Exists(path))
        {
            directory = path;
            weights = Path.Combine(path, WeightsFileName);
            if (!File.Exists(weights))
                throw new CheckpointException($"{path}: not a checkpoint directory, it has no {WeightsFileName}.");
        }
        else if (File.Exists(path))
        {
            weights = path;
            directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        }
        else
        {
            throw new CheckpointException($"{path}: no such checkpoint directory or .safetensors file.");
        }
        var config = Path.Combine(directory, MambaConfigJson.FileName);
        if (!File.Exists(config))
            throw new CheckpointException($"{weights}: no {MambaConfigJson.FileName} beside it (looked for {config}); the weights alone do not say the model's size.");
        return (weights, config);
    }

    /// <summary>
    /// Checks names, then shapes, then dtypes, against the specs; the first fault found throws with
    /// its own message. lm_head.weight may be absent (tied).
    /// </summary>
    private static void CheckNamesShapesDTypes(string file, string configSource, MambaConfig config,
        IReadOnlyList<CheckpointTensorSpec> specs,
        IReadOnlyDictionary<string, (IReadOnlyList<long> Shape, string DType, bool IsF32, bool IsHalf)> found,
        bool halfAllowed)
    {
        foreach (var spec in specs)
        {
            if (!found.TryGetValue(spec.Name, out var actual))
            {
                if (spec.Name == LmHeadName) continue;
                string why = spec.IsPerLayer ? $" (n_layer={config.NLayer})" : "";
                throw new CheckpointException($"{file}: missing tensor '{spec.Name}' required by {configSource}{why}.");
            }
            if (!actual.Shape.SequenceEqual(spec.Shape))
                throw new CheckpointException($"{file}: tensor '{spec.Name}' has shape {SafeTensorEntry.FormatShape(actual.Shape)}, " +
                    $"{configSource} ({SizesIn(spec.ShapeFormula, config)}) requires {spec.ShapeText} = {spec.ShapeFormula}.");
            bool ok = actual.IsF32 || (halfAllowed && spec.AcceptsHalfPrecision && actual.IsHalf);
            if (!ok)
            {
                string expected = halfAllowed && spec.AcceptsHalfPrecision
                    ? "F32 (or BF16/F16, widened to F32 on load)"
                    : halfAllowed ? "F32 (mamba_ssm keeps A_log and D in float32)" : "F32 (Float32)";
                throw new CheckpointException($"{file}: tensor '{spec.Name}' has dtype {actual.DType}, expected {expected}.");
            }
        }

        var expectedNames = specs.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in found.Keys.Order(StringComparer.Ordinal))
        {
            if (!expectedNames.Contains(name))
                throw new CheckpointException($"{file}: unexpected tensor '{name}', not part of a Mamba LM with {configSource} " +
                    $"(n_layer={config.NLayer}, d_model={config.DModel}); are the weights and config from different models?");
        }
    }

    /// <summary>The config values a shape formula uses, as "d_model=64, expand=2 so d_inner=128".</summary>
    private static string SizesIn(string formula, MambaConfig config)
    {
        var parts = new List<string>();
        if (formula.Contains("d_model") || formula.Contains("d_inner")) parts.Add($"d_model={config.DModel}");
        if (formula.Contains("d_inner")) parts.Add($"expand={config.Expand} so d_inner={config.DInner}");
        if (formula.Contains("d_state")) parts.Add($"d_state={config.DState}");
        if (formula.Contains("d_conv")) parts.Add($"d_conv={config.DConv}");
        if (formula.Contains("dt_rank")) parts.Add(config.DtRankOverride is null ? $"dt_rank=auto={config.DtRank}" : $"dt_rank={config.DtRank}");
        if (formula.Contains("padded_vocab")) parts.Add($"vocab_size={config.VocabSize} padded to {config.PaddedVocabSize}");
        return string.Join(", ", parts);
    }
}
