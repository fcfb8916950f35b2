using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mamba.Core.Model;

namespace Mamba.Core.Checkpoints;

/// <summary>
/// config.json in mamba_ssm's own shape (MambaConfig of mamba_ssm/models/config_mamba.py, as
/// MambaLMHeadModel.save_pretrained writes it with indent=4), so the file moves between this
/// project and PyTorch:
/// <code>
/// { "d_model": 64, "d_intermediate": 0, "n_layer": 2, "vocab_size": 256,
///   "ssm_cfg": { "layer": "Mamba1" },      // + d_state, d_conv, expand, dt_rank where not default
///   "rms_norm": true, "residual_in_fp32": true, "fused_add_norm": true,
///   "pad_vocab_size_multiple": 8, "tie_embeddings": true,
///   "mamba_audio": { ... } }               // optional: this project's extras, ignored by mamba_ssm
/// </code>
/// Reading ignores unknown fields, takes mamba_ssm's defaults for absent optional ones (Hugging
/// Face's state-spaces/mamba-* configs lack d_intermediate, tie_embeddings and ssm_cfg.layer), and
/// refuses, naming the field, anything that would describe a different architecture than the
/// one this project implements (LayerNorm, Mamba2, MLP or attention layers, an untied head).
/// </summary>
public static class MambaConfigJson
{
    /// <summary>File name of the config beside the weights.</summary>
    public const string FileName = "config.json";

    /// <summary>Key under which this project's own extra fields travel.</summary>
    public const string ExtrasKey = "mamba_audio";

    private const int DefaultDState = 16, DefaultDConv = 4, DefaultExpand = 2;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 4 };

    /// <summary>The config as mamba_ssm's JSON object; <paramref name="extras"/> (deep-copied) under <see cref="ExtrasKey"/>.</summary>
    public static JsonObject ToJson(MambaConfig config, JsonObject? extras = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var ssm = new JsonObject { ["layer"] = "Mamba1" };
        // mamba_ssm passes ssm_cfg as keyword arguments to Mamba(), so a key left out takes
        // Mamba's default: write only what differs, as a Python user would.
        if (config.DState != DefaultDState) ssm["d_state"] = config.DState;
        if (config.DConv != DefaultDConv) ssm["d_conv"] = config.DConv;
        if (config.Expand != DefaultExpand) ssm["expand"] = config.Expand;
        if (config.DtRankOverride is int dtRank) ssm["dt_rank"] = dtRank;   // written whenever set, so the record round-trips

        var json = new JsonObject
        {
            ["d_model"] = config.DModel,
            ["d_intermediate"] = 0,
            ["n_layer"] = config.NLayer,
            ["vocab_size"] = config.VocabSize,
            ["ssm_cfg"] = ssm,
            ["rms_norm"] = true,
            ["residual_in_fp32"] = true,
            ["fused_add_norm"] = true,
            ["pad_vocab_size_multiple"] = config.PadVocabSizeMultiple,
            ["tie_embeddings"] = true,
        };
        if (extras is not null) json[ExtrasKey] = extras.DeepClone();
        return json;
    }

    /// <summary>The config.json text (4-space indent, as Python's json.dump(indent=4), plus a final newline).</summary>
    public static string Serialize(MambaConfig config, JsonObject? extras = null)
        => ToJson(config, extras).ToJsonString(Indented) + "\n";

    /// <summary>Writes config.json atomically (temporary file, flush, rename).</summary>
    public static void Write(string path, MambaConfig config, JsonObject? extras = null)
    {
        var bytes = Encoding.UTF8.GetBytes(Serialize(config, extras));
        using var staged = StagedFile.Write(path, s => s.Write(bytes));
        staged.Commit();
    }

    /// <summary>Reads and validates config.json.</summary>
    /// <exception cref="CheckpointException">Missing file, malformed JSON, or a field that is missing, mistyped or unsupported.</exception>
    public static (MambaConfig Config, JsonObject? Extras) Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{path}: cannot read: {e.Message}.", e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses and validates config.json text; <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="CheckpointException">Malformed JSON, or a field that is missing, mistyped or unsupported.</exception>
    public static (MambaConfig Config, JsonObject? Extras) Parse(string json, string source = FileName)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw Fail(source, $"not valid JSON ({e.Message})", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Fail(source, $"the top level is a {root.ValueKind}, not an object");

            int dModel = RequiredInt(source, root, "d_model");
            int nLayer = RequiredInt(source, root, "n_layer");
            int vocabSize = RequiredInt(source, root, "vocab_size");
            int padMultiple = OptionalInt(source, root, "pad_vocab_size_multiple") ?? 8;

            if (OptionalInt(source, root, "d_intermediate") is int dIntermediate && dIntermediate != 0)
                throw Fail(source, $"field 'd_intermediate' is {dIntermediate}: unsupported, this project's blocks have no MLP after the mixer (d_intermediate must be 0)");
            RequireTrueIfPresent(source, root, "rms_norm", "this project's blocks use RMSNorm, a LayerNorm model (rms_norm false) cannot load");
            RequireTrueIfPresent(source, root, "tie_embeddings", "this project's LM head is tied to the embedding");
            // residual_in_fp32 and fused_add_norm choose precision and kernels, not weights: this
            // project always keeps the residual in float32, so either value loads.
            OptionalBool(source, root, "residual_in_fp32");
            OptionalBool(source, root, "fused_add_norm");
            if (root.TryGetProperty("attn_layer_idx", out var attn) && attn.ValueKind == JsonValueKind.Array && attn.GetArrayLength() > 0)
                throw Fail(source, $"field 'attn_layer_idx' is {attn.GetRawText()}: unsupported, this project has no attention layers");

            int dState = DefaultDState, dConv = DefaultDConv, expand = DefaultExpand;
            int? dtRank = null;
            if (root.TryGetProperty("ssm_cfg", out var ssm) && ssm.ValueKind != JsonValueKind.Null)
            {
                if (ssm.ValueKind != JsonValueKind.Object)
                    throw Fail(source, $"field 'ssm_cfg' is {Raw(ssm)}, not an object");
                if (ssm.TryGetProperty("layer", out var layer))
                {
                    if (layer.ValueKind != JsonValueKind.String)
                        throw Fail(source, $"field 'ssm_cfg.layer' is {Raw(layer)}, not a string");
                    if (layer.GetString() != "Mamba1")
                        throw Fail(source, $"field 'ssm_cfg.layer' is {Raw(layer)}: unsupported, this project implements Mamba1 blocks only");
                }
                dState = OptionalInt(source, ssm, "d_state", "ssm_cfg.") ?? dState;
                dConv = OptionalInt(source, ssm, "d_conv", "ssm_cfg.") ?? dConv;
                expand = OptionalInt(source, ssm, "expand", "ssm_cfg.") ?? expand;
                if (ssm.TryGetProperty("dt_rank", out var rank) && !(rank.ValueKind == JsonValueKind.String && rank.GetString() == "auto"))
                    dtRank = Int(source, rank, "ssm_cfg.dt_rank", "an integer or \"auto\"");
                // These change which tensors exist; mamba_ssm's defaults are conv_bias true, bias false.
                RequireBoolIfPresent(source, ssm, "conv_bias", true, "ssm_cfg.", "this project's conv1d has a bias");
                RequireBoolIfPresent(source, ssm, "bias", false, "ssm_cfg.", "this project's in_proj and out_proj have no bias");
            }

            var config = new MambaConfig(dModel, nLayer, vocabSize, dState, dConv, expand, dtRank, padMultiple);
            try
            {
                config.Validate();
            }
            catch (ArgumentException e)
            {
                throw Fail(source, $"field '{JsonName(e.ParamName)}' is out of range: {e.Message.Split(" (Parameter", 2)[0]}", e);
            }

            JsonObject? extras = null;
            if (root.TryGetProperty(ExtrasKey, out var extrasElement) && extrasElement.ValueKind != JsonValueKind.Null)
            {
                if (extrasElement.ValueKind != JsonValueKind.Object)
                    throw Fail(source, $"field '{ExtrasKey}' is {Raw(extrasElement)}, not an object");
                extras = JsonObject.Create(extrasElement.Clone());
            }
            return (config, extras);
        }
    }

    private static int RequiredInt(string source, JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value))
            throw Fail(source, $"missing field '{name}'");
        return Int(source, value, name, "an integer");
    }

    private static int? OptionalInt(string source, JsonElement obj, string name, string prefix = "")
        => obj.TryGetProperty(name, out var value) ? Int(source, value, prefix + name, "an integer") : null;

    private static int Int(string source, JsonElement value, string field, string expected)
    {
        // TryGetInt32 refuses 64.0 and 1e2: Python writes integers without a fraction, and a float
        // here would be a float in mamba_ssm too, which breaks it.
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var result))
            throw Fail(source, $"field '{field}' must be {expected}, got {Raw(value)}");
        return result;
    }

    private static bool? OptionalBool(string source, JsonElement obj, string name, string prefix = "")
    {
        if (!obj.TryGetProperty(name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Fail(source, $"field '{prefix}{name}' must be true or false, got {Raw(value)}"),
        };
    }

    private static void RequireTrueIfPresent(string source, JsonElement obj, string name, string why)
        => RequireBoolIfPresent(source, obj, name, true, "", why);

    private static void RequireBoolIfPresent(string source, JsonElement obj, string name, bool required, string prefix, string why)
    {
        if (OptionalBool(source, obj, name, prefix) is bool value && value != required)
            throw Fail(source, $"field '{prefix}{name}' is {(value ? "true" : "false")}: unsupported, {why}");
    }

    /// <summary>The config.json field behind a <see cref="MambaConfig"/> property, for range errors.</summary>
    private static string JsonName(string? property) => property switch
    {
        nameof(MambaConfig.DModel) => "d_model",
        nameof(MambaConfig.NLayer) => "n_layer",
        nameof(MambaConfig.VocabSize) => "vocab_size",
        nameof(MambaConfig.DState) => "ssm_cfg.d_state",
        nameof(MambaConfig.DConv) => "ssm_cfg.d_conv",
        nameof(MambaConfig.Expand) => "ssm_cfg.expand",
        nameof(MambaConfig.DtRankOverride) => "ssm_cfg.dt_rank",
        nameof(MambaConfig.PadVocabSizeMultiple) => "pad_vocab_size_multiple",
        _ => property ?? "?",
    };

    private static string Raw(JsonElement value)
    {
        var raw = value.GetRawText();
        return raw.Length <= 80 ? raw : raw[..80] + "...";
    }

    private static CheckpointException Fail(string source, string what) => new($"{source}: {what}.");

    private static CheckpointException Fail(string source, string what, Exception inner) => new($"{source}: {what}.", inner);
}
