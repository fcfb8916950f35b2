using Mamba.Audio.Resampling;
using Mamba.Audio.Tests.Support;
using NAudio.Wave;
using NAudio.Wave.SampleProviders;
using NWaves.Operations;
using NWaves.Signals;

namespace Mamba.Audio.Tests.Resampling;

/// <summary>
/// Measures every resampler candidate on the same tones and prints the figures: the record of why
/// the project resamples the way it does, checked: the chosen one keeps the pass-band level and its
/// worst spur is no worse than any candidate's (NWaves is referenced by these tests only).
/// </summary>
public class ResamplerComparisonTests(ITestOutputHelper output)
{
    private const int Target = 16000;

    public static TheoryData<int, double> Cases => new()
    {
        { 44100, 0 }, { 44100, 10000 }, { 44100, 12000 }, { 48000, 0 }, { 48000, 10000 }, { 48000, 12000 }, { 8000, 0 }, { 44100, -7000 }, { 8000, -3500 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ChosenResampler_HasNoWorseSpurThanAnyCandidate_OnTheSameTones(int inputRate, double interfererHz)
    {
        long inputLength = (long)inputRate * 3;
        (double, double)[] tones = interfererHz > 0 ? [(1000, 0.4), (interfererHz, 0.4)] : [(1000, 0.4)];
        if (interfererHz < 0) tones = [(-interfererHz, 0.4)];   // a negative value: a lone in-band tone, for the pass-band level
        ToneSource Tones() => new(inputRate, inputLength, tones);
        int skip = 4000;

        var results = new List<(string Name, ToneMeasurement M)>
        {
            ("NAudio WdlResamplingSampleProvider (stock)", Spectrum.Measure(Spectrum.ReadAll(new WdlResamplingSampleProvider(Tones(), Target)), Target, skip)),
            ("NAudio WdlResampler sinc 64/32", Spectrum.Measure(Spectrum.ReadAll(new WdlSincSampleProvider(Tones(), Target)), Target, skip)),
            ("NAudio WdlResampler sinc 128/32", Spectrum.Measure(Spectrum.ReadAll(new WdlSincSampleProvider(Tones(), Target, 128)), Target, skip)),
            ("NAudio WdlResampler sinc 256/32", Spectrum.Measure(Spectrum.ReadAll(new WdlSincSampleProvider(Tones(), Target, 256)), Target, skip)),
            ("NWaves Resampler.Resample (whole signal)", Spectrum.Measure(new Resampler().Resample(new DiscreteSignal(inputRate, Tones().ToArray()), Target).Samples, Target, skip)),
        };
        results.Add(("MonoResampler (chosen: WDL sinc 256/32)", Spectrum.Measure(Spectrum.ReadAll(new MonoResampler(Tones(), Target)), Target, skip)));

        string what = interfererHz switch { > 0 => $"1 kHz tone + {interfererHz / 1000} kHz interferer", < 0 => $"{-interfererHz / 1000} kHz tone alone", _ => "1 kHz tone" };
        output.WriteLine($"{inputRate} Hz -> {Target} Hz, {what}:");
        foreach (var (name, m) in results) output.WriteLine($"  {name,-48} {m}");

        var chosen = results[^1].M;
        double bestCandidateSpur = results.Take(results.Count - 1).Min(r => r.M.SpurDb);
        // A tolerance of 1 dB: the best candidate is the same sinc design run another way.
        Assert.True(chosen.SpurDb <= bestCandidateSpur + 1.0, $"chosen spur {chosen.SpurDb:F1} dB, best candidate {bestCandidateSpur:F1} dB");
        double levelDb = 20 * Math.Log10(0.4);
        Assert.InRange(chosen.PeakDb, levelDb - 0.1, levelDb + 0.1);
    }
}
