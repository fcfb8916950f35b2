using Mamba.Training.Model;
namespace Mamba.Training.Transformer;

/// <summary>
/// A decoder-only Transformer baseline over the same vocabulary: pre-norm (RMSNorm) blocks of
/// causal multi-head attention with rotary position embeddings and a GELU MLP (4 x d_model),
/// tied head. Rotary positions let it run at any context length (the generation benchmark needs
/// up to 160k samples), and it has no positional table to size.
/// </summary>
public sealed record TransformerConfig(int DModel, int NLayer, int NHead, int VocabSize = 256, int FfMultiple = 4)
{
    public int HeadDim => DModel / NHead;
    public int DFf => FfMultiple * DModel;

    public TransformerConfig Validate()
    {
        if (DModel < 2 || DModel > 65536) throw new ArgumentException($"TransformerConfig.DModel = {DModel}: must be in 2..65536.");
        if (NLayer < 1 || NLayer > 1024) throw new ArgumentException($"TransformerConfig.NLayer = {NLayer}: must be in 1..1024.");
        if (NHead < 1 || DModel % NHead != 0) throw new ArgumentException($"TransformerConfig.NHead = {NHead}: must divide d_model ({DModel}).");
        if (HeadDim % 2 != 0) throw new ArgumentException($"TransformerConfig: head dim {HeadDim} must be even for rotary embeddings.");
        if (VocabSize < 2) throw new ArgumentException($"TransformerConfig.VocabSize = {VocabSize}: must be at least 2.");
        return this;
    }

    /// <summary>Parameters: embedding (tied head) + per layer 2 norms, qkv, out, MLP in/out with biases + final norm.</summary>
    public long ParameterCount
    {
        get
        {
            long d = DModel, f = DFf;
            long layer = 2 * d + 3 * d * d + d * d + (d * f + f) + (f * d + d);
            return VocabSize * d + NLayer * layer + d;
        }
    }

    /// <summary>
    /// The Transformer with <paramref name="nLayer"/> layers whose parameter count is closest to
    /// <paramref name="targetParameters"/> (d_model a multiple of 4, head dim near 32), so a
    /// comparison with Mamba holds the budget of parameters equal.
    /// </summary>
    public static TransformerConfig Matching(long targetParameters, int nLayer, int vocabSize = 256)
    {
        TransformerConfig? best = null;
        for (int d = 8; d <= 4096; d += 4)
        {
            int heads = Math.Max(1, d / 32);
            while (d % heads != 0 || (d / heads) % 2 != 0) heads--;
            var candidate = new TransformerConfig(d, nLayer, heads, vocabSize);
            if (best is null || Math.Abs(candidate.ParameterCount - targetParameters) < Math.Abs(best.ParameterCount - targetParameters))
                best = candidate;
        }
        return best!.Validate();
    }
}
