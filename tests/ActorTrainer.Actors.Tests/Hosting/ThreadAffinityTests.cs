using ActorTrainer.Actors.Hosting;

namespace ActorTrainer.Actors.Tests.Hosting;

public sealed class ThreadAffinityTests
{
    [Fact]
    public void A_pinned_thread_may_run_only_on_the_chosen_allowed_cpu_and_other_threads_keep_theirs()
    {
        if (!OperatingSystem.IsLinux()) return; // pinning is Linux-only; elsewhere it is a documented no-op
        var allowed = ThreadAffinity.AllowedCpus();
        Assert.NotEmpty(allowed);
        int? pinned = null;
        IReadOnlyList<int>? after = null;
        var thread = new Thread(() =>
        {
            pinned = ThreadAffinity.PinCurrentThread(allowed.Count + 1); // wraps around the allowed set
            after = ThreadAffinity.AllowedCpus();
        });
        thread.Start();
        thread.Join();
        int expected = allowed[(allowed.Count + 1) % allowed.Count];
        Assert.Equal(expected, pinned);
        Assert.Equal([expected], after);
        Assert.Equal(allowed, ThreadAffinity.AllowedCpus()); // this thread is untouched
    }
}
