using Spectre.Console;

namespace Mamba.Audio.Host.Terminal;

/// <summary>
/// Turns the errors a user can act on (bad options, bad files, missing devices, a data-parallel rank that is missing or misconfigured) into one red line
/// and exit code 2, instead of a stack trace; anything else is a bug and keeps its trace. A path
/// that cannot be read or written (UnauthorizedAccessException, IOException) is the user's to fix:
/// .NET's message names the path.
/// </summary>
public static class CommandRunner
{
    public static int Run(Func<int> command)
    {
        try
        {
            return command();
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or InvalidDataException or Spectre.Console.Cli.CommandParseException or Spectre.Console.Cli.CommandRuntimeException
                                      or Mamba.Core.Checkpoints.CheckpointException or Mamba.Training.Distributed.DistributedException
                                      or Mamba.Audio.Corpora.CorpusException or Mamba.Audio.Files.AudioFileException or Mamba.Audio.Streaming.AudioDeviceException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 2;
        }
    }
}
