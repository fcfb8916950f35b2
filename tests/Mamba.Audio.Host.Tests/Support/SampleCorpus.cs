namespace Mamba.Audio.Host.Tests.Support;

/// <summary>samples/wav/digits prepared as the tests train on it: two voices held out (fraction 0.2, grouped by voice; samples/wav/README.md).</summary>
public static class SampleCorpus
{
    public static string PrepareDigits(string corpus, params string[] extra)
    {
        var prepared = HostRun.Run(["prepare", TestRepository.File("samples", "wav", "digits"), "--out", corpus, "--validation-fraction", "0.2", "--group-by", "^([^_]+)_", .. extra]);
        Assert.True(prepared.ExitCode == 0, prepared.Output);
        return corpus;
    }
}
