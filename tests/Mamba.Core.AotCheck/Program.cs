using System.Security.Cryptography;
using Mamba.Core.Checkpoints;
using Mamba.Core.Engines.Cpu;
using Mamba.Core.Model;
using Mamba.Core.Sampling;

// Two checks of the CPU engine built with NativeAOT (scripts/check-aot-determinism.sh), on Core alone:
// 1. the golden case of CpuEngineGoldenTests (weights from seed 7, sampling seed 100, one second);
// 2. a real checkpoint read from disk (default samples/models/digits-small), rendered like
//    `mamba-audio render --seed S --seconds T` renders its first take: the hash of the mu-law
//    classes is printed for the script to compare with render's report (ClassesSha256).
string build = System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported ? "JIT" : "NativeAOT";
string checkpointPath = args.Length > 0 ? args[0] : Path.Combine("samples", "models", "digits-small");
ulong seed = args.Length > 1 ? ulong.Parse(args[1]) : 1;
double seconds = args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 2;

const string Golden = "B5D6FAC3FA88FA88";
using (var engine = new CpuStepEngine(CpuWeights.Random(new MambaConfig(64, 4), seed: 7), 1))
{
    engine.Open(new SamplingSettings(1f, 1f, 100));
    var output = new byte[16000];
    engine.Generate(output.Length, output);
    string hash = Convert.ToHexString(SHA256.HashData(output))[..16];
    Console.WriteLine($"{build}: golden samples hash {hash}, log-likelihood {engine.LogLikelihood(0):R} (expected {Golden})");
    if (hash != Golden) return 1;
}

try
{
    var checkpoint = MambaCheckpoint.Load(checkpointPath);
    using var engine = new CpuStepEngine(new CpuWeights(checkpoint), 1, new CpuEngineOptions(Threads: 1));
    engine.Open(new SamplingSettings(1f, 1f, seed));
    var classes = new byte[(long)Math.Round(seconds * checkpoint.SampleRate)];
    engine.Generate(classes.Length, classes);
    Console.WriteLine($"{build}: {checkpointPath} seed {seed}, {classes.Length} samples at {checkpoint.SampleRate} Hz: classes sha256 {Convert.ToHexStringLower(SHA256.HashData(classes))}");
    return 0;
}
catch (CheckpointException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
