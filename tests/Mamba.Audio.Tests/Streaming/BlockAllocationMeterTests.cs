using Mamba.Audio.Streaming;

namespace Mamba.Audio.Tests.Streaming;

public class BlockAllocationMeterTests
{
    [Fact]
    public void BlocksThatAllocate_AreCountedWithTheirBytes_AndBlocksDuringACollection_AreSetApart()
    {
        var meter = new BlockAllocationMeter();
        object? keep = null;
        for (int block = 0; block < 100; block++)
        {
            meter.BeginBlock();
            if (block % 10 == 3) keep = new byte[1000];
            if (block == 50) GC.Collect();
            meter.EndBlock();
        }
        GC.KeepAlive(keep);
        Assert.Equal(1, meter.BlocksWithACollection);
        Assert.Equal(99, meter.Blocks);
        Assert.Equal(10, meter.AllocatingBlocks);
        Assert.InRange(meter.AllocatedBytes, 10 * 1000, 10 * 1100);
    }
}
