using ActorTrainer.Actors.Worker;

namespace ActorTrainer.Actors.Tests.Worker;

public sealed class PushBuffersTests
{
    [Fact]
    public void An_answered_buffer_is_rented_again_and_an_unanswered_one_never_is()
    {
        var pool = new PushBuffers(4);
        var a = pool.Rent();
        pool.Sent(1, a);
        var b = pool.Rent();
        Assert.NotSame(a, b);           // a is still with the server
        pool.Sent(2, b);
        pool.Answered(2);
        Assert.Same(b, pool.Rent());    // b came back; a did not
        Assert.Equal(2, pool.Allocated);
        Assert.Equal(1, pool.Awaiting);
    }

    [Fact]
    public void Unknown_or_repeated_answers_free_nothing()
    {
        var pool = new PushBuffers(2);
        var a = pool.Rent();
        pool.Sent(7, a);
        pool.Answered(6);
        pool.Answered(7);
        pool.Answered(7);
        Assert.Same(a, pool.Rent());
        Assert.NotSame(a, pool.Rent()); // a was freed once, not twice
    }

    [Fact]
    public void A_returned_buffer_is_reused()
    {
        var pool = new PushBuffers(3);
        var a = pool.Rent();
        pool.Return(a);
        Assert.Same(a, pool.Rent());
        Assert.Equal(1, pool.Allocated);
    }

    [Fact]
    public void At_most_max_awaiting_pushes_are_remembered_and_the_oldest_is_forgotten()
    {
        var pool = new PushBuffers(1);
        var first = pool.Rent();
        pool.Sent(0, first);
        for (int i = 1; i <= PushBuffers.MaxAwaiting; i++) pool.Sent(i, pool.Rent());
        Assert.Equal(PushBuffers.MaxAwaiting, pool.Awaiting);
        pool.Answered(0);                 // forgotten: its late answer frees nothing
        Assert.NotSame(first, pool.Rent());
    }

    [Fact]
    public void Buffers_of_another_length_or_a_chunk_sent_twice_are_refused()
    {
        var pool = new PushBuffers(3);
        Assert.Throws<ArgumentException>(() => pool.Sent(1, new float[2]));
        Assert.Throws<ArgumentException>(() => pool.Return(new float[4]));
        pool.Sent(1, pool.Rent());
        Assert.Throws<InvalidOperationException>(() => pool.Sent(1, pool.Rent()));
    }
}
