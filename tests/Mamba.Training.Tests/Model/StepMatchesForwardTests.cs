using Mamba.Training.Model;
using Mamba.Core.Model;
using Mamba.Training.Tests.Support;
using static TorchSharp.torch;

namespace Mamba.Training.Tests.Model;

public class StepMatchesForwardTests
{
    public static TheoryData<int, int, int, int, int> Configs => new()
    {
        // d_model, n_layer, d_state, batch, length
        { 16, 1, 16, 1, 23 },
        { 24, 2, 16, 3, 37 },     // d_model not divisible by 16: dt_rank = 2
        { 40, 3, 5, 2, 19 },      // odd d_state
        { 8, 2, 16, 4, 3 },       // length shorter than the conv window
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void Step_MatchesForward_AtEveryPosition(int dModel, int nLayer, int dState, int batch, int length)
    {
        int seed = TestSeed.Fresh();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var config = new MambaConfig(dModel, nLayer, DState: dState);
        using var model = new MambaLM(config, seed);
        var tokens = randint(0, config.VocabSize, new long[] { batch, length }, generator: new Generator((ulong)seed));

        var parallel = model.forward(tokens);                              // (b, l, v)
        using var state = model.AllocateState(batch);
        for (int t = 0; t < length; t++)
        {
            var stepped = model.Step(tokens[.., t], state);                 // (b, v)
            TensorAssert.Close(stepped, parallel[.., t], 1e-4, $"seed {seed}, config {config}, position {t}");
        }
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void ParallelFinalState_EqualsStateAfterStepping(int dModel, int nLayer, int dState, int batch, int length)
    {
        int seed = TestSeed.Fresh();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var config = new MambaConfig(dModel, nLayer, DState: dState);
        using var model = new MambaLM(config, seed);
        var tokens = randint(0, config.VocabSize, new long[] { batch, length }, generator: new Generator((ulong)seed));

        using var primed = model.AllocateState(batch);
        model.Forward(tokens, primed);
        using var stepped = model.AllocateState(batch);
        for (int t = 0; t < length; t++) model.Step(tokens[.., t], stepped);

        TensorAssert.Close(primed.Conv, stepped.Conv, 1e-5, $"seed {seed}, conv state");
        TensorAssert.Close(primed.Ssm, stepped.Ssm, 1e-4, $"seed {seed}, ssm state");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(17)]
    public void SteppingOnFromAPrimedState_ContinuesTheSequence(int promptLength)
    {
        int seed = TestSeed.Fresh();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var config = new MambaConfig(24, 2);
        using var model = new MambaLM(config, seed);
        const int total = 30, batch = 2;
        var tokens = randint(0, config.VocabSize, new long[] { batch, total }, generator: new Generator((ulong)seed));
        var parallel = model.forward(tokens);

        using var state = model.AllocateState(batch);
        model.Forward(tokens[.., ..promptLength], state);
        for (int t = promptLength; t < total; t++)
        {
            var stepped = model.Step(tokens[.., t], state);
            TensorAssert.Close(stepped, parallel[.., t], 1e-4, $"seed {seed}, prompt {promptLength}, position {t}");
        }
    }
}
