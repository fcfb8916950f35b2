using System.Text.Json.Nodes;
using Mamba.Core.Checkpoints;
using Mamba.Core.Model;

namespace Mamba.Core.Tests.Checkpoints;

public sealed class MambaCheckpointTests
{
    // d_model 40 is not a multiple of 16 (dt_rank = ceil(40/16) = 3); vocab 250 pads to 256.
    private static readonly MambaConfig Small = new(DModel: 40, NLayer: 2, VocabSize: 250, DState: 8);

    private static readonly string[] LayerSuffixes =
    [
        "norm.weight", "mixer.in_proj.weight", "mixer.conv1d.weight", "mixer.conv1d.bias", "mixer.x_proj.weight",
        "mixer.dt_proj.weight", "mixer.dt_proj.bias", "mixer.A_log", "mixer.D", "mixer.out_proj.weight",
    ];

    [Fact]
    public void ExpectedTensors_FollowMambaSsmNamesAndShapes()
    {
        var specs = MambaCheckpoint.ExpectedTensors(new MambaConfig(DModel: 64, NLayer: 2));
        var expectedNames = new List<string> { "backbone.embedding.weight" };
        for (int i = 0; i < 2; i++) expectedNames.AddRange(LayerSuffixes.Select(s => $"backbone.layers.{i}.{s}"));
        expectedNames.AddRange(["backbone.norm_f.weight", "lm_head.weight"]);
        Assert.Equal(expectedNames, specs.Select(s => s.Name));
        Assert.All(specs, s => Assert.Equal(SafeTensorsDType.F32, s.DType));

        var shapes = specs.ToDictionary(s => s.Name, s => s.Shape.ToArray());
        Assert.Equal(new long[] { 256, 64 }, shapes["backbone.embedding.weight"]);
        Assert.Equal(new long[] { 64 }, shapes["backbone.layers.1.norm.weight"]);
        Assert.Equal(new long[] { 256, 64 }, shapes["backbone.layers.0.mixer.in_proj.weight"]);
        Assert.Equal(new long[] { 128, 1, 4 }, shapes["backbone.layers.0.mixer.conv1d.weight"]);
        Assert.Equal(new long[] { 128 }, shapes["backbone.layers.0.mixer.conv1d.bias"]);
        Assert.Equal(new long[] { 4 + 32, 128 }, shapes["backbone.layers.0.mixer.x_proj.weight"]);
        Assert.Equal(new long[] { 128, 4 }, shapes["backbone.layers.0.mixer.dt_proj.weight"]);
        Assert.Equal(new long[] { 128 }, shapes["backbone.layers.0.mixer.dt_proj.bias"]);
        Assert.Equal(new long[] { 128, 16 }, shapes["backbone.layers.0.mixer.A_log"]);
        Assert.Equal(new long[] { 128 }, shapes["backbone.layers.0.mixer.D"]);
        Assert.Equal(new long[] { 64, 128 }, shapes["backbone.layers.0.mixer.out_proj.weight"]);
        Assert.Equal(new long[] { 64 }, shapes["backbone.norm_f.weight"]);
        Assert.Equal(new long[] { 256, 64 }, shapes["lm_head.weight"]);
        Assert.False(specs.Single(s => s.Name.EndsWith("0.mixer.A_log")).AcceptsHalfPrecision);
        Assert.False(specs.Single(s => s.Name.EndsWith("0.mixer.D")).AcceptsHalfPrecision);
    }

    [Fact]
    public void ExpectedTensors_CountMatchesConfigParameterCount()
    {
        var specs = MambaCheckpoint.ExpectedTensors(Small);
        long count = specs.Where(s => s.Name != MambaCheckpoint.LmHeadName).Sum(s => s.Shape.Aggregate(1L, (a, b) => a * b));
        Assert.Equal(Small.ParameterCount, count);
    }

    [Fact]
    public void SaveThenLoad_IsBitExact_AndWritesTheTiedHead()
    {
        using var dir = new TempFolder();
        var tensors = CheckpointTestData.RandomModel(Small, seed: 201);
        var extras = new JsonObject { ["sample_rate"] = 16000 };
        MambaCheckpoint.Save(dir.Path, Small, tensors, extras);
        Assert.Equal(new[] { "config.json", "model.safetensors" }, dir.FileNames());

        var loaded = MambaCheckpoint.Load(dir.Path);
        Assert.Equal(Small, loaded.Config);
        Assert.True(loaded.HashVerified);
        Assert.Equal(16000, (int)loaded.Extras!["sample_rate"]!);
        Assert.Equal(MambaCheckpoint.ExpectedTensors(Small).Select(s => s.Name).Order(), loaded.Tensors.Keys.Order());
        foreach (var (name, expected) in tensors)
        {
            Assert.Equal(SafeTensorsDType.F32, loaded.Tensors[name].DType);
            Assert.Equal(CheckpointTestData.RawBytes(expected), CheckpointTestData.RawBytes(loaded.Tensors[name]));
        }
        Assert.Equal(CheckpointTestData.RawBytes(tensors[MambaCheckpoint.EmbeddingName]),
                     CheckpointTestData.RawBytes(loaded.Tensors[MambaCheckpoint.LmHeadName]));
        // The file itself holds lm_head.weight, as mamba_ssm's state dict does.
        Assert.Contains(SafeTensorsFile.ReadHeader(dir.File("model.safetensors")).Entries, e => e.Name == "lm_head.weight");
    }

    [Fact]
    public void Load_AcceptsTheSafetensorsFilePath_AsWellAsTheDirectory()
    {
        using var dir = new TempFolder();
        var tensors = CheckpointTestData.RandomModel(Small, seed: 202);
        MambaCheckpoint.Save(dir.Path, Small, tensors);
        var loaded = MambaCheckpoint.Load(dir.File("model.safetensors"));
        Assert.Equal(Small, loaded.Config);
    }

    [Fact]
    public void Load_MissingDirectoryOrConfig_SaysWhatIsMissing()
    {
        using var dir = new TempFolder();
        var e1 = Assert.Throws<CheckpointException>(() => MambaCheckpoint.Load(dir.File("nothing")));
        Assert.Contains("no such checkpoint directory or .safetensors file", e1.Message);
        var e2 = Assert.Throws<CheckpointException>(() => MambaCheckpoint.Load(dir.Path));
        Assert.Contains("has no model.safetensors", e2.Message);

        var tensors = CheckpointTestData.RandomModel(Small, seed: 203);
        MambaCheckpoint.Save(dir.Path, Small, tensors);
        File.Delete(dir.File("config.json"));
        var e3 = Assert.Throws<CheckpointException>(() => MambaCheckpoint.Load(dir.Path));
        Assert.Contains("no config.json beside it", e3.Message);
    }

    /// <summary>Saves a valid checkpoint, then replaces its weights with <paramref name="edit"/> of the tensors (no hash, as PyTorch writes).</summary>
    private static CheckpointException LoadAfterEditingWeights(int seed, Action<Dictionary<string, SafeTensor>> edit, out string weightsPath)
    {
        var dir = new TempFolder();
        var tensors = CheckpointTestData.RandomModel(Small, seed, withHead: true);
        try
        {
            MambaCheckpoint.Save(dir.Path, Small, tensors);
            edit(tensors);
            weightsPath = dir.File("model.safetensors");
            SafeTensorsFile.WriteFile(weightsPath, tensors, addContentHash: false);
            var path = weightsPath;
            return Assert.Throws<CheckpointException>(() => MambaCheckpoint.Load(path));
        }
        finally
        {
            dir.Dispose();
        }
    }

    [Fact]
    public void Load_MissingTensor_NamesItAndTheConfig()
    {
        var e = LoadAfterEditingWeights(204, t => t.Remove("backbone.layers.1.mixer.A_log"), out var path);
        Assert.Equal($"{path}: missing tensor 'backbone.layers.1.mixer.A_log' required by config.json (n_layer=2).", e.Message);
    }

    [Fact]
    public void Load_UnexpectedTensor_NamesIt()
    {
        var e = LoadAfterEditingWeights(205, t => t["backbone.layers.2.norm.weight"] = SafeTensor.FromFloats(Enumerable.Repeat(1f, 40).ToArray(), 40), out var path);
        Assert.StartsWith($"{path}: unexpected tensor 'backbone.layers.2.norm.weight', not part of a Mamba LM with config.json (n_layer=2, d_model=40)", e.Message);
    }

    [Fact]
    public void Load_WrongShape_GivesFoundAndRequiredShapes()
    {
        var name = "backbone.layers.0.mixer.in_proj.weight";
        var e = LoadAfterEditingWeights(206, t => t[name] = SafeTensor.FromFloats(new float[80 * 20], 80, 20), out var path);
        Assert.Equal($"{path}: tensor '{name}' has shape (80, 20), config.json (d_model=40, expand=2 so d_inner=80) requires (160, 40) = (2*d_inner, d_model).", e.Message);
    }

    [Fact]
    public void Load_HalfPrecisionALog_IsRefused()
    {
        var name = "backbone.layers.0.mixer.A_log";
        var e = LoadAfterEditingWeights(207, t => t[name] = CheckpointTestData.Converted(t[name], SafeTensorsDType.F16), out var path);
        Assert.StartsWith($"{path}: tensor '{name}' has dtype F16, expected F32", e.Message);
    }

    [Fact]
    public void Load_Float64Weight_IsRefused()
    {
        var name = "backbone.norm_f.weight";
        var e = LoadAfterEditingWeights(208, t => t[name] = CheckpointTestData.Converted(t[name], SafeTensorsDType.F64), out var path);
        Assert.Equal($"{path}: tensor '{name}' has dtype F64, expected F32 (or BF16/F16, widened to F32 on load).", e.Message);
    }

    [Fact]
    public void Load_UntiedHead_IsRefused()
    {
        var e = LoadAfterEditingWeights(209, t => t[MambaCheckpoint.LmHeadName] = CheckpointTestData.Map(t[MambaCheckpoint.LmHeadName], v => v + 1f), out var path);
        Assert.Contains("tensor 'lm_head.weight' differs from 'backbone.embedding.weight'", e.Message);
    }

    [Fact]
    public void Load_Bf16Weights_AreWidenedToFloat32Exactly()
    {
        using var dir = new TempFolder();
        var tensors = CheckpointTestData.RandomModel(Small, seed: 210);
        MambaCheckpoint.Save(dir.Path, Small, tensors);
        // As a bf16 export from PyTorch: every weight in BF16 but A_log and D, no lm_head, no hash.
        var bf16 = tensors.ToDictionary(kv => kv.Key, kv => kv.Key.EndsWith("A_log") || kv.Key.EndsWith(".D")
            ? kv.Value : CheckpointTestData.Converted(kv.Value, SafeTensorsDType.BF16));
        SafeTensorsFile.WriteFile(dir.File("model.safetensors"), bf16, addContentHash: false);
        var loaded = MambaCheckpoint.Load(dir.Path);
        Assert.False(loaded.HashVerified);
        foreach (var (name, t) in bf16)
        {
            var expected = SafeTensor.FromFloats(t.ToFloats(), t.Shape.ToArray());
            Assert.Equal(SafeTensorsDType.F32, loaded.Tensors[name].DType);
            Assert.Equal(CheckpointTestData.RawBytes(expected), CheckpointTestData.RawBytes(loaded.Tensors[name]));
        }
    }

    [Fact]
    public void Load_FlippedDataByte_GivesContentHashMismatch()
    {
        using var dir = new TempFolder();
        var tensors = CheckpointTestData.RandomModel(Small, seed: 211);
        MambaCheckpoint.Save(dir.Path, Small, tensors);
        var path = dir.File("model.safetensors");
        var bytes = File.ReadAllBytes(path);
        bytes[^5] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<CheckpointException>(() => MambaCheckpoint.Load(dir.Path));
        Assert.StartsWith($"{path}: content hash mismatch (stored ", e.Message);
        Assert.EndsWith("): the file is corrupted.", e.Message);
    }

    [Fact]
    public void Save_ThatFailsValidation_LeavesTheOldCheckpointIntact_AndNoTempFiles()
    {
        using var dir = new TempFolder();
        var tensors = CheckpointTestData.RandomModel(Small, seed: 212);
        MambaCheckpoint.Save(dir.Path, Small, tensors);
        var weightsBefore = File.ReadAllBytes(dir.File("model.safetensors"));
        var configBefore = File.ReadAllBytes(dir.File("config.json"));

        // A model of another size: n_layer 3 expects layer 2, which the dictionary lacks.
        var bigger = Small with { NLayer = 3 };
        var e = Assert.Throws<CheckpointException>(() => MambaCheckpoint.Save(dir.Path, bigger, tensors));
        Assert.Contains("missing tensor 'backbone.layers.2.norm.weight' required by the config (n_layer=3)", e.Message);

        // A wrong dtype.
        var name = "backbone.layers.0.mixer.D";
        var f64 = new Dictionary<string, SafeTensor>(tensors) { [name] = CheckpointTestData.Converted(tensors[name], SafeTensorsDType.F64) };
        var e2 = Assert.Throws<CheckpointException>(() => MambaCheckpoint.Save(dir.Path, Small, f64));
        Assert.Contains($"tensor '{name}' has dtype F64, expected F32", e2.Message);

        Assert.Equal(weightsBefore, File.ReadAllBytes(dir.File("model.safetensors")));
        Assert.Equal(configBefore, File.ReadAllBytes(dir.File("config.json")));
        Assert.Equal(new[] { "config.json", "model.safetensors" }, dir.FileNames());
    }

    [Fact]
    public void Save_OverAnExistingCheckpoint_ReplacesIt_AndLeavesNoTempFiles()
    {
        using var dir = new TempFolder();
        var first = CheckpointTestData.RandomModel(Small, seed: 213);
        var otherConfig = new MambaConfig(DModel: 24, NLayer: 1);
        var second = CheckpointTestData.RandomModel(otherConfig, seed: 214);
        MambaCheckpoint.Save(dir.Path, Small, first);
        MambaCheckpoint.Save(dir.Path, otherConfig, second);
        Assert.Equal(new[] { "config.json", "model.safetensors" }, dir.FileNames());
        var loaded = MambaCheckpoint.Load(dir.Path);
        Assert.Equal(otherConfig, loaded.Config);
        Assert.Equal(CheckpointTestData.RawBytes(second["backbone.norm_f.weight"]), CheckpointTestData.RawBytes(loaded.Tensors["backbone.norm_f.weight"]));
    }

    [Fact]
    public void Save_WithAHeadThatDiffersFromTheEmbedding_IsRefused()
    {
        using var dir = new TempFolder();
        var tensors = CheckpointTestData.RandomModel(Small, seed: 215, withHead: true);
        tensors[MambaCheckpoint.LmHeadName] = CheckpointTestData.Map(tensors[MambaCheckpoint.LmHeadName], v => v * 2f);
        var e = Assert.Throws<CheckpointException>(() => MambaCheckpoint.Save(dir.Path, Small, tensors));
        Assert.Contains("untied head cannot be saved", e.Message);
        Assert.Empty(dir.FileNames());
    }

    [Fact]
    public void HandWrittenCheckpoint_AsPyTorchWritesIt_Loads()
    {
        // A tiny model whose safetensors bytes and config.json are built here by hand, the way
        // mamba_ssm + PyTorch's safetensors would produce them: header padded with spaces to 8-byte
        // alignment, {"format": "pt"} metadata, no hash, lm_head.weight present.
        var config = new MambaConfig(DModel: 4, NLayer: 1, VocabSize: 6, DState: 2, DConv: 2);
        var rng = new Random(216);
        var specs = MambaCheckpoint.ExpectedTensors(config);
        var values = new Dictionary<string, float[]>();
        var data = new List<byte>();
        var header = new System.Text.StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        float[]? embedding = null;
        foreach (var spec in specs)
        {
            long count = spec.Shape.Aggregate(1L, (a, b) => a * b);
            var v = spec.Name == "lm_head.weight" ? embedding! : Enumerable.Range(0, (int)count).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
            if (spec.Name == "backbone.embedding.weight") embedding = v;
            values[spec.Name] = v;
            int begin = data.Count;
            foreach (var x in v) data.AddRange(BitConverter.GetBytes(x));
            header.Append($",\"{spec.Name}\":{{\"dtype\":\"F32\",\"shape\":[{string.Join(",", spec.Shape)}],\"data_offsets\":[{begin},{data.Count}]}}");
        }
        header.Append('}');
        var headerBytes = System.Text.Encoding.UTF8.GetBytes(header.ToString()).ToList();
        while (headerBytes.Count % 8 != 0) headerBytes.Add((byte)' ');
        var file = BitConverter.GetBytes((ulong)headerBytes.Count).Concat(headerBytes).Concat(data).ToArray();

        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("model.safetensors"), file);
        File.WriteAllText(dir.File("config.json"), """
            {
                "d_model": 4,
                "d_intermediate": 0,
                "n_layer": 1,
                "vocab_size": 6,
                "ssm_cfg": {"layer": "Mamba1", "d_state": 2, "d_conv": 2},
                "attn_layer_idx": [],
                "attn_cfg": {},
                "rms_norm": true,
                "residual_in_fp32": true,
                "fused_add_norm": true,
                "pad_vocab_size_multiple": 8,
                "tie_embeddings": true
            }
            """);

        var loaded = MambaCheckpoint.Load(dir.Path);
        Assert.Equal(config, loaded.Config);
        Assert.False(loaded.HashVerified);
        foreach (var (name, v) in values)
            Assert.Equal(v, loaded.Tensors[name].ToFloats());
    }
}
