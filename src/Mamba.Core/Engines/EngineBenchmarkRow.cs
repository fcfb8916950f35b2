namespace Mamba.Core.Engines;

/// <summary>One measurement of <see cref="EngineBenchmark"/>.</summary>
/// <param name="Engine">"cpu", "cpu-vector256" for the CPU engine held to Vector256 on an AVX-512 machine, or "torch-cpu" / "torch-cuda" for the reference engine on that device.</param>
/// <param name="Preset">"small" (d 64 x 4 layers) or "base" (d 256 x 8 layers), or "custom".</param>
/// <param name="Streams">Streams generated at once.</param>
/// <param name="Threads">Threads the engine used.</param>
/// <param name="SamplesPerSecond">All streams together, median of the runs.</param>
/// <param name="SamplesPerSecondPerStream">SamplesPerSecond / Streams.</param>
/// <param name="RealTimeFactor">Per stream, against 16 kHz: above 1 is faster than real time.</param>
/// <param name="WeightBytes">Bytes of weights the step reads.</param>
/// <param name="Runs">Timed runs (after a warm-up); the median is reported.</param>
public sealed record EngineBenchmarkRow(
    string Engine, string Preset, int DModel, int NLayer, int Streams, int Threads,
    double SamplesPerSecond, double SamplesPerSecondPerStream, double RealTimeFactor, long WeightBytes, int Runs);
