using Mamba.Audio.Host.Commands.Bench;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("mamba-audio");
    config.PropagateExceptions();
    config.AddBranch("bench", bench =>
    {
        bench.SetDescription("Measured benchmarks: each prints a table and writes JSON.");
        bench.AddCommand<SelectiveCopyCommand>("selective-copy")
            .WithDescription("Train a 2-layer Mamba on the Selective Copying task of the Mamba paper and report copy accuracy.")
            .WithExample("bench", "selective-copy", "--preset", "quick");
    });
});
return Mamba.Audio.Host.Console.CommandRunner.Run(() => app.Run(args));
