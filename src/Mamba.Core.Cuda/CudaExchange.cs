using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Mamba.Core.Cuda;

/// <summary>
/// Words that the groups of one stream hand each other through global memory (device code, for
/// <see cref="CudaSpreadStepKernel"/>). A word is a float and the epoch (the step) it was written in, in one 64-bit
/// store, so a reader knows a value is this step's by reading it alone: one trip to L2 a value, no flag, no grid
/// barrier (NCCL's low-latency protocol). Loads and stores bypass L1, which is not coherent between
/// multiprocessors: a line read in one step would otherwise still be there, stale, in the next.
/// On ILGPU's CPU accelerator (tests) they are interlocked operations.
/// </summary>
public static class CudaExchange
{
    /// <summary>Polling rounds before a group gives up and raises the failure flag: about a second on the H200, far past any step.</summary>
    public const int SpinLimit = 1 << 20;

    public static void Put(ArrayView<ulong> words, long address, long index, float value, uint epoch) =>
        Store(words, address, index, ((ulong)epoch << 32) | Interop.FloatAsInt(value));

    /// <summary>
    /// Words [from, from + count) of this epoch into shared memory at <paramref name="into"/>. Every thread of the group
    /// calls it. A thread issues the loads of its words (up to eight a round) before it looks at any, so a gather costs
    /// about one trip to L2, not one a word; the group then polls together (a barrier a round, which on the CPU
    /// accelerator blocks instead of spinning, so a waiting group leaves the cores to the group it waits for).
    /// A group that polls past <see cref="SpinLimit"/> rounds (a part that never ran: the multiprocessors held by another
    /// kernel) raises the failure flag; once the flag is up every gather ends within 64 rounds, so a failed launch ends
    /// instead of hanging.
    /// </summary>
    public static void Gather(ArrayView<float> sh, int into, ArrayView<ulong> words, long address, long from, int count, uint epoch, long flag, int t, int T)
    {
        for (int start = 0; start < count; start += 8 * T)
        {
            int i = start + t;
            bool done = false;
            for (int rounds = 0; ; rounds++)
            {
                if (!done) done = TryGather(sh, into, words, address, from, i, Math.Min(count, start + 8 * T), epoch, T);
                if (Group.BarrierAnd(done)) break;
                if ((rounds & 63) == 63 && Group.BarrierOr(t == 0 && Failed(words, address, flag))) break;
                if (rounds == SpinLimit)
                {
                    if (t == 0) Raise(words, address, flag);
                    break;
                }
            }
        }
    }

    /// <summary>Words i, i + T, ... below <paramref name="end"/> (eight at most) into shared memory if every one is this epoch's.</summary>
    private static bool TryGather(ArrayView<float> sh, int into, ArrayView<ulong> words, long address, long from, int i, int end, uint epoch, int T)
    {
        ulong w0 = i < end ? Load(words, address, from + i) : 0;
        ulong w1 = i + T < end ? Load(words, address, from + i + T) : 0;
        ulong w2 = i + 2 * T < end ? Load(words, address, from + i + 2 * T) : 0;
        ulong w3 = i + 3 * T < end ? Load(words, address, from + i + 3 * T) : 0;
        ulong w4 = i + 4 * T < end ? Load(words, address, from + i + 4 * T) : 0;
        ulong w5 = i + 5 * T < end ? Load(words, address, from + i + 5 * T) : 0;
        ulong w6 = i + 6 * T < end ? Load(words, address, from + i + 6 * T) : 0;
        ulong w7 = i + 7 * T < end ? Load(words, address, from + i + 7 * T) : 0;
        bool ok = (i >= end || (uint)(w0 >> 32) == epoch) && (i + T >= end || (uint)(w1 >> 32) == epoch)
            && (i + 2 * T >= end || (uint)(w2 >> 32) == epoch) && (i + 3 * T >= end || (uint)(w3 >> 32) == epoch)
            && (i + 4 * T >= end || (uint)(w4 >> 32) == epoch) && (i + 5 * T >= end || (uint)(w5 >> 32) == epoch)
            && (i + 6 * T >= end || (uint)(w6 >> 32) == epoch) && (i + 7 * T >= end || (uint)(w7 >> 32) == epoch);
        if (!ok) return false;
        if (i < end) sh[into + i] = Interop.IntAsFloat((uint)w0);
        if (i + T < end) sh[into + i + T] = Interop.IntAsFloat((uint)w1);
        if (i + 2 * T < end) sh[into + i + 2 * T] = Interop.IntAsFloat((uint)w2);
        if (i + 3 * T < end) sh[into + i + 3 * T] = Interop.IntAsFloat((uint)w3);
        if (i + 4 * T < end) sh[into + i + 4 * T] = Interop.IntAsFloat((uint)w4);
        if (i + 5 * T < end) sh[into + i + 5 * T] = Interop.IntAsFloat((uint)w5);
        if (i + 6 * T < end) sh[into + i + 6 * T] = Interop.IntAsFloat((uint)w6);
        if (i + 7 * T < end) sh[into + i + 7 * T] = Interop.IntAsFloat((uint)w7);
        return true;
    }

    /// <summary>Whether the failure flag is up.</summary>
    public static bool Failed(ArrayView<ulong> words, long address, long flag) => Load(words, address, flag) != 0;

    /// <summary>Raises the failure flag: a part waited past any step's time for the others.</summary>
    public static void Raise(ArrayView<ulong> words, long address, long flag) => Store(words, address, flag, 1UL);

    private static void Store(ArrayView<ulong> words, long address, long index, ulong word)
    {
        if (CudaAsm.IsSupported)
        {
            Input<long> at = address + 8 * index;
            Input<ulong> w = word;
            CudaAsm.EmitRef("st.volatile.global.u64 [%0], %1;", ref at, ref w);
        }
        else Atomic.Exchange(ref words[index], word);
    }

    private static ulong Load(ArrayView<ulong> words, long address, long index)
    {
        if (CudaAsm.IsSupported)
        {
            Input<long> at = address + 8 * index;
            Output<ulong> w = default;
            CudaAsm.EmitRef("ld.volatile.global.u64 %1, [%0];", ref at, ref w);
            return w.Value;
        }
        return Atomic.CompareExchange(ref words[index], 0UL, 0UL);
    }
}
