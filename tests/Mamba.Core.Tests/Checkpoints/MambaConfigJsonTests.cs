using System.Text.Json;
using System.Text.Json.Nodes;
using Mamba.Core.Checkpoints;
using Mamba.Core.Model;

namespace Mamba.Core.Tests.Checkpoints;

public sealed class MambaConfigJsonTests
{
    [Fact]
    public void WrittenConfig_HasMambaSsmShape_KeysAndValuesExactly()
    {
        var json = JsonNode.Parse(MambaConfigJson.Serialize(new MambaConfig(DModel: 64, NLayer: 2)))!.AsObject();

        Assert.Equal(new[] { "d_model", "d_intermediate", "n_layer", "vocab_size", "ssm_cfg", "rms_norm",
                             "residual_in_fp32", "fused_add_norm", "pad_vocab_size_multiple", "tie_embeddings" },
                     json.Select(kv => kv.Key).ToArray());
        Assert.Equal(64, (int)json["d_model"]!);
        Assert.Equal(0, (int)json["d_intermediate"]!);
        Assert.Equal(2, (int)json["n_layer"]!);
        Assert.Equal(256, (int)json["vocab_size"]!);
        Assert.True((bool)json["rms_norm"]!);
        Assert.True((bool)json["residual_in_fp32"]!);
        Assert.True((bool)json["fused_add_norm"]!);
        Assert.Equal(8, (int)json["pad_vocab_size_multiple"]!);
        Assert.True((bool)json["tie_embeddings"]!);
        // Defaults are left out of ssm_cfg, as mamba_ssm users write it.
        var ssm = json["ssm_cfg"]!.AsObject();
        Assert.Equal(new[] { "layer" }, ssm.Select(kv => kv.Key).ToArray());
        Assert.Equal("Mamba1", (string)ssm["layer"]!);
    }

    [Fact]
    public void WrittenConfig_IsIndentedLikePythonJsonDump()
    {
        var text = MambaConfigJson.Serialize(new MambaConfig(64, 2));
        Assert.StartsWith("{\n    \"d_model\": 64,\n    \"d_intermediate\": 0,", text.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void NonDefaultSsmSizes_AreWritten_AndOnlyThose()
    {
        var ssm = MambaConfigJson.ToJson(new MambaConfig(DModel: 40, NLayer: 1, DState: 8, DConv: 4, Expand: 3, DtRankOverride: 5))["ssm_cfg"]!.AsObject();
        Assert.Equal(new[] { "layer", "d_state", "expand", "dt_rank" }, ssm.Select(kv => kv.Key).ToArray());
        Assert.Equal(8, (int)ssm["d_state"]!);
        Assert.Equal(3, (int)ssm["expand"]!);
        Assert.Equal(5, (int)ssm["dt_rank"]!);
    }

    [Fact]
    public void RoundTrip_GivesTheSameConfigAndExtras()
    {
        var config = new MambaConfig(DModel: 40, NLayer: 3, VocabSize: 300, DState: 4, DConv: 3, Expand: 1, DtRankOverride: 7, PadVocabSizeMultiple: 16);
        var extras = new JsonObject { ["sample_rate"] = 16000, ["mu"] = 255, ["nested"] = new JsonObject { ["a"] = "b" } };
        var (back, backExtras) = MambaConfigJson.Parse(MambaConfigJson.Serialize(config, extras));
        Assert.Equal(config, back);
        Assert.NotNull(backExtras);
        Assert.True(JsonNode.DeepEquals(extras, backExtras));
        // The caller's object is copied, not re-parented: using it twice must work.
        Assert.Equal(MambaConfigJson.Serialize(config, extras), MambaConfigJson.Serialize(config, extras));
        Assert.Null(extras.Parent);
    }

    [Fact]
    public void ConfigWithoutExtras_LoadsWithNullExtras()
    {
        var (_, extras) = MambaConfigJson.Parse(MambaConfigJson.Serialize(new MambaConfig(16, 1)));
        Assert.Null(extras);
    }

    [Fact]
    public void HuggingFaceStyleConfig_WithUnknownFields_Loads()
    {
        // state-spaces/mamba-130m's config.json lacks d_intermediate, tie_embeddings and ssm_cfg.layer;
        // newer mamba_ssm adds attn_layer_idx / attn_cfg; other tools add their own keys.
        const string json = """
            {"d_model": 768, "n_layer": 24, "vocab_size": 50277, "ssm_cfg": {"dt_min": 0.001, "use_fast_path": true},
             "rms_norm": true, "residual_in_fp32": true, "fused_add_norm": true, "pad_vocab_size_multiple": 8,
             "attn_layer_idx": [], "attn_cfg": {}, "architectures": ["MambaForCausalLM"], "torch_dtype": "float32"}
            """;
        var (config, extras) = MambaConfigJson.Parse(json);
        Assert.Equal(new MambaConfig(DModel: 768, NLayer: 24, VocabSize: 50277), config);
        Assert.Equal(50280, config.PaddedVocabSize);
        Assert.Null(extras);
    }

    [Theory]
    [InlineData("""{"n_layer": 2, "vocab_size": 256}""", "missing field 'd_model'")]
    [InlineData("""{"d_model": 64, "vocab_size": 256}""", "missing field 'n_layer'")]
    [InlineData("""{"d_model": 64.5, "n_layer": 2, "vocab_size": 256}""", "field 'd_model' must be an integer, got 64.5")]
    [InlineData("""{"d_model": "64", "n_layer": 2, "vocab_size": 256}""", "field 'd_model' must be an integer, got \"64\"")]
    [InlineData("""{"d_model": 0, "n_layer": 2, "vocab_size": 256}""", "field 'd_model' is out of range")]
    [InlineData("""{"d_model": 64, "n_layer": 2, "vocab_size": 256, "rms_norm": false}""", "field 'rms_norm' is false: unsupported")]
    [InlineData("""{"d_model": 64, "n_layer": 2, "vocab_size": 256, "rms_norm": "yes"}""", "field 'rms_norm' must be true or false")]
    [InlineData("""{"d_model": 64, "n_layer": 2, "vocab_size": 256, "ssm_cfg": {"layer": "Mamba2"}}""", "field 'ssm_cfg.layer' is \"Mamba2\": unsupported")]
    [InlineData("""{"d_model": 64, "n_layer": 2, "vocab_size": 256, "ssm_cfg": {"d_state": 1.5}}""", "field 'ssm_cfg.d_state' must be an integer")]
    [InlineData("""{"d_model": 64, "n_layer": 2, "vocab_size": 256, "ssm_cfg": {"dt_rank": "big"}}""", "field 'ssm_cfg.dt_rank' must be an integer or \"auto\"")]
    [InlineData("""{"d_model": 64, "n_layer": 2, "vocab_size": 256, "ssm_cfg": {"conv_bias": false}}""", "field 'ssm_cfg.conv_bias' is false: unsupported")]
    [InlineData("""{"d_model": 64, "n_layer": 2, "vocab_size": 256, "ssm_cfg": {"bias": true}}""", "field 'ssm_cfg.bias' is true: unsupported")]
    [InlineData("""{"d_model": 64, "n_layer": 2, "vocab_size": 256, "d_intermediate": 128}""", "field 'd_intermediate' is 128: unsupported")]
    [InlineData("""{"d_model": 64, "n_layer": 2, "vocab_size": 256, "tie_embeddings": false}""", "field 'tie_embeddings' is false: unsupported")]
    [InlineData("""{"d_model": 64, "n_layer": 2, "vocab_size": 256, "attn_layer_idx": [1]}""", "field 'attn_layer_idx' is [1]: unsupported")]
    [InlineData("""{"d_model": 64, "n_layer": 2, "vocab_size": 256, "mamba_audio": 3}""", "field 'mamba_audio' is 3, not an object")]
    [InlineData("""{"d_model": 64, "n_layer": 2, "d_model": 32, "vocab_size": 256}""", "not valid JSON")]
    [InlineData("""{"d_model": 64,""", "not valid JSON")]
    [InlineData("""[64, 2]""", "the top level is a Array, not an object")]
    public void InvalidConfig_GivesAnErrorNamingTheField(string json, string expected)
    {
        var e = Assert.Throws<CheckpointException>(() => MambaConfigJson.Parse(json, "ckpt/config.json"));
        Assert.StartsWith("ckpt/config.json: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Write_ThenRead_FromDisk_LeavesNoTempFile()
    {
        using var dir = new TempFolder();
        var path = dir.File("config.json");
        MambaConfigJson.Write(path, new MambaConfig(24, 2));
        MambaConfigJson.Write(path, new MambaConfig(32, 3));   // over an existing file
        Assert.Equal(new[] { "config.json" }, dir.FileNames());
        Assert.Equal(new MambaConfig(32, 3), MambaConfigJson.Read(path).Config);
    }

    [Fact]
    public void WrittenConfig_IsPlainJsonThatSystemTextJsonParses()
    {
        using var doc = JsonDocument.Parse(MambaConfigJson.Serialize(new MambaConfig(64, 2), new JsonObject { ["x"] = 1 }));
        Assert.Equal(1, doc.RootElement.GetProperty(MambaConfigJson.ExtrasKey).GetProperty("x").GetInt32());
    }
}
