using Mamba.Training.Model;
using Mamba.Core.Model;
using static TorchSharp.torch;

namespace Mamba.Training.Recurrent;

/// <summary>
/// The recurrent state of a Mamba model for N streams: per layer a conv state (N, d_in, k) and an
/// SSM state (N, d_in, n), 40 * d_model floats per layer and stream with the defaults, whatever the
/// length generated. Allocated once; <see cref="MambaLM.Step"/> updates it in place.
/// </summary>
public sealed class MambaState : IDisposable
{
    private readonly Tensor conv;   // (layers, N, d_in, k)
    private readonly Tensor ssm;    // (layers, N, d_in, n)

    public MambaState(MambaConfig config, long streams, Device? device = null)
    {
        if (streams < 1) throw new ArgumentOutOfRangeException(nameof(streams), streams, "a state needs at least one stream");
        Config = config;
        Streams = streams;
        conv = zeros(new long[] { config.NLayer, streams, config.DInner, config.DConv }, device: device);
        ssm = zeros(new long[] { config.NLayer, streams, config.DInner, config.DState }, device: device);
        Layers = Enumerable.Range(0, config.NLayer).Select(i => new LayerState(conv[i], ssm[i])).ToArray();
    }

    public MambaConfig Config { get; }

    /// <summary>N, the number of stream slots.</summary>
    public long Streams { get; }

    /// <summary>Per-layer views of the state.</summary>
    public IReadOnlyList<LayerState> Layers { get; }

    /// <summary>All conv states, (layers, N, d_in, k).</summary>
    public Tensor Conv => conv;

    /// <summary>All SSM states, (layers, N, d_in, n).</summary>
    public Tensor Ssm => ssm;

    /// <summary>Zeroes every stream: the state before any input.</summary>
    public void Reset()
    {
        using var _ = no_grad();
        conv.zero_();
        ssm.zero_();
    }

    public void Dispose()
    {
        foreach (var layer in Layers) { layer.Conv.Dispose(); layer.Ssm.Dispose(); }
        conv.Dispose();
        ssm.Dispose();
    }
}
