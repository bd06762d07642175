using ActorTrainer.Cli.Scaling;

namespace ActorTrainer.Cli.Tests.Scaling;

public sealed class StallWatchTests
{
    private DateTime _now = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private StallWatch Watch(double seconds) => new(TimeSpan.FromSeconds(seconds), () => _now);

    private void Advance(double seconds) => _now += TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Stalled_only_after_the_signature_stayed_the_same_longer_than_the_timeout()
    {
        var watch = Watch(10);
        Assert.False(watch.Stalled(() => 5));
        Advance(9); Assert.False(watch.Stalled(() => 5));
        Advance(2); Assert.True(watch.Stalled(() => 5));
    }

    [Fact]
    public void Any_change_restarts_the_wait()
    {
        var watch = Watch(10);
        Assert.False(watch.Stalled(() => 5));
        Advance(9); Assert.False(watch.Stalled(() => 6)); // progress
        Advance(9); Assert.False(watch.Stalled(() => 6));
        Advance(2); Assert.True(watch.Stalled(() => 6));
    }

    [Fact]
    public void The_signature_is_read_at_most_once_a_second()
    {
        var watch = Watch(10);
        int reads = 0;
        long Read() { reads++; return 1; }
        watch.Stalled(Read);
        Advance(0.5); watch.Stalled(Read);
        Assert.Equal(1, reads);
        Advance(0.6); watch.Stalled(Read);
        Assert.Equal(2, reads);
    }
}
