namespace Mamba.Core.Model;

/// <summary>
/// The size of a Mamba language model over a byte vocabulary (mu-law audio has 256 classes).
/// Immutable; the derived sizes follow mamba_ssm (mamba_simple.py). Saved beside the weights as
/// config.json in mamba_ssm's own shape (see <see cref="Checkpoints.MambaConfigJson"/>).
/// </summary>
/// <param name="DModel">Width of the residual stream (d).</param>
/// <param name="NLayer">Number of residual Mamba blocks.</param>
/// <param name="VocabSize">Number of classes (256 for 8-bit mu-law).</param>
/// <param name="DState">SSM state size per channel (n); mamba_ssm default 16.</param>
/// <param name="DConv">Depthwise causal convolution width; default 4.</param>
/// <param name="Expand">d_inner = Expand * d_model; default 2.</param>
/// <param name="DtRankOverride">dt_rank; null means "auto" = ceil(d_model / 16).</param>
/// <param name="PadVocabSizeMultiple">mamba_ssm pads the embedding rows up to a multiple of this.</param>
public sealed record MambaConfig(
    int DModel,
    int NLayer,
    int VocabSize = 256,
    int DState = 16,
    int DConv = 4,
    int Expand = 2,
    int? DtRankOverride = null,
    int PadVocabSizeMultiple = 8)
{
    /// <summary>RMSNorm epsilon used by mamba_ssm's MambaLMHeadModel.</summary>
    public const double NormEpsilon = 1e-5;

    /// <summary>d_inner = expand * d_model: the width of the mixer's inner channels.</summary>
    public int DInner => Expand * DModel;

    /// <summary>dt_rank = ceil(d_model / 16) unless set explicitly.</summary>
    public int DtRank => DtRankOverride ?? (DModel + 15) / 16;

    /// <summary>Rows of the embedding and the tied head: vocab_size rounded up to PadVocabSizeMultiple.</summary>
    public int PaddedVocabSize => PadVocabSizeMultiple <= 1
        ? VocabSize
        : (VocabSize + PadVocabSizeMultiple - 1) / PadVocabSizeMultiple * PadVocabSizeMultiple;

    /// <summary>Floats of recurrent state per stream and layer: conv (d_inner x d_conv) + ssm (d_inner x d_state).</summary>
    public int StateFloatsPerLayer => DInner * (DConv + DState);

    /// <summary>Throws <see cref="ArgumentException"/> naming the field and the reason when a size is unusable.</summary>
    public MambaConfig Validate()
    {
        Require(DModel >= 1 && DModel <= 65536, nameof(DModel), DModel, "must be in 1..65536");
        Require(NLayer >= 1 && NLayer <= 1024, nameof(NLayer), NLayer, "must be in 1..1024");
        Require(VocabSize >= 2 && VocabSize <= 1 << 20, nameof(VocabSize), VocabSize, "must be in 2..1048576");
        Require(DState >= 1 && DState <= 256, nameof(DState), DState, "must be in 1..256");
        Require(DConv >= 1 && DConv <= 64, nameof(DConv), DConv, "must be in 1..64");
        Require(Expand >= 1 && Expand <= 16, nameof(Expand), Expand, "must be in 1..16");
        Require(DtRank >= 1 && DtRank <= DInner, nameof(DtRankOverride), DtRank, $"dt_rank must be in 1..d_inner ({DInner})");
        Require(PadVocabSizeMultiple >= 1 && PadVocabSizeMultiple <= 1024, nameof(PadVocabSizeMultiple), PadVocabSizeMultiple, "must be in 1..1024");
        return this;
    }

    private static void Require(bool ok, string field, int value, string reason)
    {
        if (!ok) throw new ArgumentException($"MambaConfig.{field} = {value}: {reason}.", field);
    }

    /// <summary>Parameter count, tied head counted once (as mamba_ssm reports it).</summary>
    public long ParameterCount
    {
        get
        {
            long d = DModel, di = DInner, r = DtRank, n = DState;
            long mixer = d * 2 * di            // in_proj
                         + di * DConv + di      // conv1d weight and bias
                         + di * (r + 2 * n)     // x_proj
                         + r * di + di          // dt_proj weight and bias
                         + di * n + di          // A_log, D
                         + di * d;              // out_proj
            return (long)PaddedVocabSize * d + NLayer * (mixer + d) + d;
        }
    }
}
