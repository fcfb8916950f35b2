using static TorchSharp.torch;

namespace Mamba.Training.Recurrent;

/// <summary>
/// One layer's recurrent state for N streams: the causal conv window and the SSM state.
/// Views into <see cref="MambaState"/>'s storage; owned and disposed by it.
/// </summary>
/// <param name="Conv">(N, d_in, k): the last k conv inputs, oldest first.</param>
/// <param name="Ssm">(N, d_in, n): h, float32.</param>
public sealed record LayerState(Tensor Conv, Tensor Ssm);
