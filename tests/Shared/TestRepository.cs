namespace Mamba.Testing;

/// <summary>Where the repository (samples/, the solution) is, for tests that read its files.</summary>
public static class TestRepository
{
    /// <summary>
    /// The folder holding Mamba.Audio.sln above the test binaries or the working directory;
    /// MAMBA_AUDIO_REPO when the tests run published elsewhere (the GPU host, docs/GPU.md).
    /// </summary>
    public static string Root
    {
        get
        {
            if (Environment.GetEnvironmentVariable("MAMBA_AUDIO_REPO") is { Length: > 0 } repo) return repo;
            foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                    if (System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "Mamba.Audio.sln"))) return dir.FullName;
            throw new DirectoryNotFoundException($"no Mamba.Audio.sln above {AppContext.BaseDirectory} or {Environment.CurrentDirectory} (set MAMBA_AUDIO_REPO)");
        }
    }

    /// <summary>A path below the repository root.</summary>
    public static string File(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);
}
