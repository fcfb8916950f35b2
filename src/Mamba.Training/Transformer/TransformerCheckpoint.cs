using Mamba.Training.Checkpoints;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mamba.Core.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Transformer;

/// <summary>
/// The Transformer baseline's checkpoint: model.safetensors (its own parameter names) and a
/// config.json marked "architecture": "transformer", so a loader can tell it from a mamba_ssm
/// config. Both files are written atomically; loading checks every name and shape.
/// </summary>
public static class TransformerCheckpoint
{
    public const string Architecture = "transformer";

    public static bool IsTransformerConfig(string directory)
    {
        var path = Path.Combine(directory, MambaConfigJson.FileName);
        if (!File.Exists(path)) return false;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path))?["architecture"]?.GetValue<string>() == Architecture;
        }
        catch (JsonException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    public static void Save(TransformerLM model, string directory, JsonObject? extras = null)
    {
        Directory.CreateDirectory(directory);
        var tensors = model.named_parameters().Select(p => KeyValuePair.Create(p.name, (Tensor)p.parameter)).ToList();
        using var weights = StagedFile.Write(Path.Combine(directory, MambaCheckpoint.WeightsFileName),
            stream => TorchSafeTensors.Write(stream, tensors));
        var c = model.Config;
        var json = new JsonObject
        {
            ["architecture"] = Architecture,
            ["d_model"] = c.DModel, ["n_layer"] = c.NLayer, ["n_head"] = c.NHead,
            ["vocab_size"] = c.VocabSize, ["ff_multiple"] = c.FfMultiple,
        };
        if (extras is not null) json[MambaConfigJson.ExtrasKey] = extras.DeepClone();
        using var config = StagedFile.Write(Path.Combine(directory, MambaConfigJson.FileName),
            stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }))));
        weights.Commit();
        config.Commit();
    }

    public static TransformerLM Load(string directory, Device? device, out JsonObject? extras)
    {
        var configPath = Path.Combine(directory, MambaConfigJson.FileName);
        TransformerConfig config;
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
            config = new TransformerConfig(
                Field(json, "d_model", configPath), Field(json, "n_layer", configPath), Field(json, "n_head", configPath),
                Field(json, "vocab_size", configPath), json["ff_multiple"]?.GetValue<int>() ?? 4).Validate();
            extras = json[MambaConfigJson.ExtrasKey]?.DeepClone().AsObject();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new CheckpointException($"{configPath}: not a valid Transformer config: {e.Message}", e);
        }

        var weightsPath = Path.Combine(directory, MambaCheckpoint.WeightsFileName);
        var content = SafeTensorsFile.Read(weightsPath);
        var model = new TransformerLM(config, seed: 0);
        try
        {
            var parameters = model.named_parameters().ToList();
            var unexpected = content.Tensors.Keys.Except(parameters.Select(p => p.name)).ToList();
            if (unexpected.Count > 0)
                throw new CheckpointException($"{weightsPath}: unexpected tensor '{unexpected[0]}' for a Transformer of {config}.");
            using (no_grad())
            {
                foreach (var (name, parameter) in parameters)
                {
                    if (!content.Tensors.TryGetValue(name, out var source))
                        throw new CheckpointException($"{weightsPath}: missing tensor '{name}' required by {configPath}.");
                    if (!source.Shape.SequenceEqual(parameter.shape))
                        throw new CheckpointException($"{weightsPath}: tensor '{name}' has shape ({string.Join(", ", source.Shape)}), " +
                            $"{configPath} requires ({string.Join(", ", parameter.shape)}).");
                    if (source.DType != SafeTensorsDType.F32)
                        throw new CheckpointException($"{weightsPath}: tensor '{name}' has dtype {source.DType.FormatName()}, expected F32.");
                    using var values = TorchSafeTensors.ToTorch(source);
                    parameter.copy_(values);
                }
            }
            if (device is not null) model.to(device);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static int Field(JsonObject json, string name, string path) =>
        json[name]?.GetValue<int>() ?? throw new CheckpointException($"{path}: missing field '{name}'.");
}
