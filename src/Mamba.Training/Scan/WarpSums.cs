using ILGPU;

namespace Mamba.Training.Scan;

/// <summary>
/// Thirty-two sums over a warp's lanes at once, as a butterfly that halves what each lane holds at
/// every step (a reduce-scatter): lanes pair across a bit of their index, each keeps the half of the
/// values its bit names and adds its partner's copy of that half. On 32 lanes that is 16 + 8 + 4 +
/// 2 + 1 = 31 shuffles, where summing the 32 values one by one takes 5 each (160), and every lane
/// ends with one sum to store, where one lane stored all 32. A warp of W lanes runs log2(W) steps
/// and each lane ends with 32 / W consecutive sums: lane L holds sums [L·32/W, (L+1)·32/W).
/// The order of the additions is fixed by the lanes' indices: deterministic.
/// </summary>
internal static class WarpSums
{
    /// <summary>Sums <paramref name="first"/> and <paramref name="second"/> over the warp's lanes and stores the 32 sums at view[at..at+32): first's 16, then second's.</summary>
    public static void SumAndStore(StateSlice first, StateSlice second, ArrayView<float> view, long at)
    {
        int lane = Warp.LaneIdx;
        int o = Warp.WarpSize / 2;
        bool hi = (lane & o) != 0;
        var keep = hi ? second : first;
        var half16 = keep + Xor(hi ? first : second, o);

        o /= 2;
        hi = (lane & o) != 0;
        var a = (hi ? half16.S2 : half16.S0) + Xor(hi ? half16.S0 : half16.S2, o);
        var b = (hi ? half16.S3 : half16.S1) + Xor(hi ? half16.S1 : half16.S3, o);
        var quads = view.Cast<Float4>();
        if (o == 1)   // a warp of 4 lanes: 8 sums a lane
        {
            long q = (at + lane * 8) / 4;
            quads[q] = a; quads[q + 1] = b;
            return;
        }

        o /= 2;
        hi = (lane & o) != 0;
        var four = (hi ? b : a) + Xor(hi ? a : b, o);
        if (o == 1)   // 8 lanes: 4 sums a lane
        {
            quads[(at + lane * 4) / 4] = four;
            return;
        }

        o /= 2;
        hi = (lane & o) != 0;
        float x = (hi ? four.Z : four.X) + Warp.ShuffleXor(hi ? four.X : four.Z, o);
        float y = (hi ? four.W : four.Y) + Warp.ShuffleXor(hi ? four.Y : four.W, o);
        if (o == 1)   // 16 lanes: 2 sums a lane
        {
            view[at + lane * 2] = x;
            view[at + lane * 2 + 1] = y;
            return;
        }

        o /= 2;   // 32 lanes: one sum a lane
        hi = (lane & o) != 0;
        view[at + lane] = (hi ? y : x) + Warp.ShuffleXor(hi ? x : y, o);
    }

    private static Float4 Xor(Float4 v, int o) =>
        new(Warp.ShuffleXor(v.X, o), Warp.ShuffleXor(v.Y, o), Warp.ShuffleXor(v.Z, o), Warp.ShuffleXor(v.W, o));

    private static StateSlice Xor(StateSlice v, int o) => new() { S0 = Xor(v.S0, o), S1 = Xor(v.S1, o), S2 = Xor(v.S2, o), S3 = Xor(v.S3, o) };
}
