using ActorTrainer.Actors.Hosting;
using Akka.Actor;
using Akka.Dispatch;
using Akka.TestKit.Xunit2;

namespace ActorTrainer.Actors.Tests.Hosting;

/// <summary>The trainer's dispatchers give each actor a thread of its own, keep it for the actor's
/// life, and run its messages in order.</summary>
public sealed class DedicatedThreadDispatcherTests : TestKit
{
    public DedicatedThreadDispatcherTests() : base(TestHocon.Config) { }

    // Test-only messages: never cross a node, and the trainer's serializers refuse foreign types.
    private sealed record WhichThread(int Tag) : INoSerializationVerificationNeeded;
    private sealed record OnThread(int Tag, int ThreadId, string? ThreadName) : INoSerializationVerificationNeeded;

    private sealed class Reporter : ReceiveActor
    {
        public Reporter() => Receive<WhichThread>(m =>
            Sender.Tell(new OnThread(m.Tag, Environment.CurrentManagedThreadId, Thread.CurrentThread.Name)));
    }

    [Theory]
    [InlineData(TrainerHocon.ComputeDispatcherId)]
    [InlineData(TrainerHocon.ServerDispatcherId)]
    public void Each_actor_runs_on_its_own_thread_for_its_whole_life_and_in_message_order(string dispatcher)
    {
        var a = Sys.ActorOf(Props.Create(() => new Reporter()).WithDispatcher(dispatcher));
        var b = Sys.ActorOf(Props.Create(() => new Reporter()).WithDispatcher(dispatcher));
        for (int i = 0; i < 50; i++) { a.Tell(new WhichThread(i)); b.Tell(new WhichThread(1000 + i)); }

        var fromA = new List<OnThread>();
        var fromB = new List<OnThread>();
        for (int i = 0; i < 100; i++)
        {
            var m = ExpectMsg<OnThread>();
            (m.Tag < 1000 ? fromA : fromB).Add(m);
        }
        Assert.Equal(Enumerable.Range(0, 50), fromA.Select(m => m.Tag));
        Assert.Equal(Enumerable.Range(1000, 50), fromB.Select(m => m.Tag));
        Assert.Single(fromA.Select(m => m.ThreadId).Distinct());
        Assert.Single(fromB.Select(m => m.ThreadId).Distinct());
        Assert.NotEqual(fromA[0].ThreadId, fromB[0].ThreadId);
        Assert.NotEqual(Environment.CurrentManagedThreadId, fromA[0].ThreadId);
        Assert.StartsWith(dispatcher, fromA[0].ThreadName);
    }

    [Fact]
    public void The_executor_runs_queued_work_in_order_and_drains_it_on_shutdown()
    {
        var executor = new DedicatedThreadExecutor("test-executor");
        var ran = new List<int>();
        var done = new ManualResetEventSlim();
        var gate = new ManualResetEventSlim();
        executor.Execute(new Step(() => gate.Wait(TimeSpan.FromSeconds(10))));
        for (int i = 0; i < 10; i++) { int n = i; executor.Execute(new Step(() => ran.Add(n))); }
        executor.Execute(new Step(done.Set));
        executor.Shutdown();                            // queued before shutdown: still runs
        executor.Execute(new Step(() => ran.Add(-1)));  // after shutdown: dropped
        gate.Set();
        Assert.True(done.Wait(TimeSpan.FromSeconds(10)));
        // the step after shutdown was refused by Execute itself, and everything queued ran before done
        Assert.Equal(Enumerable.Range(0, 10), ran);
    }

    private sealed class Step(Action action) : IRunnable
    {
        public void Run() => action();
#if NET5_0_OR_GREATER
        public void Execute() => action();
#endif
    }
}
