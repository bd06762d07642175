using ActorTrainer.Actors.Security;

namespace ActorTrainer.Actors.Tests.Security;

/// <summary>The stream beneath a tensor connection's TLS: the handshake passes straight through, a frame's records leave together at the flush.</summary>
public sealed class GatheringStreamTests
{
    [Fact]
    public void Before_gathering_writes_go_straight_through_and_after_it_they_wait_for_the_flush_in_order()
    {
        var inner = new MemoryStream();
        using var s = new GatheringStream(inner);
        s.Write([1, 2]);
        Assert.Equal([1, 2], inner.ToArray()); // a handshake flight is never held back

        s.Gather = true;
        s.Write([3]);
        s.Write(new byte[GatheringStream.BufferSize]); // larger than the buffer: what waits goes first, then it
        s.Write([4, 5]);
        Assert.Equal(2 + 1 + GatheringStream.BufferSize, inner.Length); // [4, 5] waits
        s.Flush();

        byte[] all = inner.ToArray();
        Assert.Equal([1, 2, 3], all[..3]);
        Assert.Equal([4, 5], all[^2..]);
        Assert.Equal(5 + GatheringStream.BufferSize, all.Length);
    }

    [Fact]
    public async Task Reads_hand_out_what_the_socket_gave_in_the_callers_sizes_until_its_end()
    {
        byte[] data = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        using var s = new GatheringStream(new MemoryStream(data));
        var got = new List<byte>();
        var small = new byte[7];
        int n;
        while ((n = s.Read(small)) > 0) got.AddRange(small[..n]);
        Assert.Equal(data, got);
        Assert.Equal(0, await s.ReadAsync(new byte[4]));
    }
}
