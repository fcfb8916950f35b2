using System.Security.Cryptography;
using Mamba.Core.Engines;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Model;
using Mamba.Core.Sampling;

// The golden case of CpuEngineGoldenTests: weights from seed 7, sampling seed 100, one second.
const string Expected = "B5D6FAC3FA88FA88";
var weights = CpuWeights.Random(new MambaConfig(64, 4), seed: 7);
using var engine = new CpuStepEngine(weights, 1);
engine.Open(new SamplingSettings(1f, 1f, 100));
var output = new byte[16000];
engine.Generate(output.Length, output);
string hash = Convert.ToHexString(SHA256.HashData(output))[..16];
Console.WriteLine($"{(System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported ? "JIT" : "NativeAOT")}: " +
                  $"samples hash {hash}, log-likelihood {engine.LogLikelihood(0):R} (expected {Expected})");
return hash == Expected ? 0 : 1;
