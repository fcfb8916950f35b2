using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Training.Scan;

/// <summary>
/// The selective scan of Mamba, in mamba_ssm's layout (selective_scan_fn), for the parallel form:
/// <code>
/// h_t = exp(delta_t * A) * h_{t-1} + delta_t * B_t * u_t      (h_0 = 0)
/// y_t = (C_t . h_t + D * u_t) * silu(z_t)                       (the gate only when z is given)
/// </code>
/// Shapes (glossary in Model/Glossary.md): u, delta, z: (b, d_in, l); A: (d_in, n);
/// B, C: (b, n, l); D: (d_in). delta is already positive (softplus applied by the caller).
/// Implementations differ in speed only; every one is compared with <see cref="ReferenceSelectiveScan"/>.
/// </summary>
public interface ISelectiveScan
{
    /// <summary>Short name for logs and benchmarks ("reference", "cpu-fused", ...).</summary>
    string Name { get; }

    /// <summary>
    /// Runs the scan. Differentiable in u, delta, A, B, C, D and z.
    /// </summary>
    /// <param name="lastState">When not null, receives h_l, shape (b, d_in, n), float32, no gradient.</param>
    Tensor Forward(Tensor u, Tensor delta, Tensor A, Tensor B, Tensor C, Tensor D, Tensor? z, Tensor? lastState = null);
}
