using System.Diagnostics;
using System.Runtime.InteropServices;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Sampling;

namespace Mamba.Core.Tests.Engines;

public unsafe class TmpTiming
{
    [Fact]
    public void Timing()
    {
        string? path = Environment.GetEnvironmentVariable("MAMBA_TIMING");
        Assert.SkipWhen(string.IsNullOrEmpty(path), "timing");
        var log = new System.Text.StringBuilder();
        const int N = 200_000;
        double Time(string name, Action a) { a(); var sw = Stopwatch.StartNew(); for (int i = 0; i < N; i++) a(); double ns = sw.Elapsed.TotalNanoseconds / N; log.AppendLine($"{name}: {ns:F1} ns"); return ns; }
        float* wt = (float*)NativeMemory.AlignedAlloc(4 * 256 * 1024, 64);
        float* x = (float*)NativeMemory.AlignedAlloc(4 * 4096, 64);
        float* y = (float*)NativeMemory.AlignedAlloc(4 * 4096, 64);
        float* h = (float*)NativeMemory.AlignedAlloc(4 * 16 * 128, 64);
        for (int i = 0; i < 256 * 1024; i++) wt[i] = 0.01f * (i % 7);
        for (int i = 0; i < 4096; i++) { x[i] = 0.1f; y[i] = 0; }
        for (int i = 0; i < 2048; i++) h[i] = 0;
        Time("in_proj 64->256 columns", () => CpuKernels.MatVecColumns(wt, 64, 256, x, y));
        Time("out_proj 128->64 columns", () => CpuKernels.MatVecColumns(wt, 128, 64, x, y));
        Time("head 64->256 columns", () => CpuKernels.MatVecColumns(wt, 64, 256, x, y));
        Time("x_proj 128->36 rows", () => CpuKernels.MatMulRows(wt, 36, 128, x, 128, y, 40, 1, true));
        Time("conv 128", () => CpuKernels.ConvStep(h, wt, wt, x, y, 4, 128, true));
        Time("ssm 128x16", () => CpuKernels.SsmStep(h, wt, wt, wt, wt, x, 4, 16, x, x, y, 128, true));
        CpuKernels.UseVector512 = false;
        Time("in_proj v256", () => CpuKernels.MatVecColumns(wt, 64, 256, x, y));
        Time("out_proj v256", () => CpuKernels.MatVecColumns(wt, 128, 64, x, y));
        Time("ssm 128x16 v256", () => CpuKernels.SsmStep(h, wt, wt, wt, wt, x, 4, 16, x, x, y, 128, true));
        CpuKernels.UseVector512 = true;
        Time("rmsnorm 64", () => CpuKernels.RmsNorm(x, wt, y, 64, 64, true));
        var logits = new float[256]; var probs = new float[256]; var order = new long[256]; var rng = new Pcg32(1);
        for (int i = 0; i < 256; i++) logits[i] = (i % 13) * 0.1f;
        Time("sample T1", () => TokenSampler.Sample(logits, 1f, 1f, ref rng, probs, order, out _));
        Time("sample p0.9", () => TokenSampler.Sample(logits, 1f, 0.9f, ref rng, probs, order, out _));
        File.WriteAllText(path!, log.ToString());
    }
}
