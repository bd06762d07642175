using System.Diagnostics;
using System.Globalization;
using ActorTrainer.Actors.Hosting;
using Akka.Actor;

namespace ActorTrainer.Cli.Scaling.Simulation;

/// <summary>
/// What one message costs between an in-process run's actors: a worker on its dedicated thread and the
/// server on its own, each pinned as the in-process launcher pins them, the receiver idle (blocked) when the
/// message arrives, so the wake-up is in it. The simulator's latency when it is compared with an in-process
/// run, which has no network but pays this on every push and every publish.
/// </summary>
public static class HopProbe
{
    /// <summary>Median one-way time (half a round trip) between an actor on the compute dispatcher pinned to
    /// <paramref name="workerCpu"/> and one on the server dispatcher pinned to <paramref name="serverCpu"/>;
    /// about <paramref name="seconds"/> of round trips, at least 15.</summary>
    public static CostEstimate Measure(int workerCpu, int serverCpu, double seconds = 0.3)
    {
        using var system = TrainerHocon.LocalSystem("hop-probe");
        var done = new TaskCompletionSource<List<double>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var echo = system.ActorOf(Props.Create(() => new Echo(serverCpu)).WithDispatcher(TrainerHocon.ServerDispatcherId));
        system.ActorOf(Props.Create(() => new Driver(workerCpu, echo, seconds, done)).WithDispatcher(TrainerHocon.ComputeDispatcherId));
        var limit = TimeSpan.FromSeconds(30 + seconds);
        List<double> trips;
        try { trips = done.Task.WaitAsync(limit).GetAwaiter().GetResult(); }
        catch (TimeoutException e)
        {
            throw new ProbeFailedException(string.Create(CultureInfo.InvariantCulture,
                $"the hop probe (CPUs {workerCpu} and {serverCpu}) got no answers for {limit.TotalSeconds:0.#} s; is the machine overloaded? Give the latency with --sim-latency instead"), e);
        }
        finally { system.Terminate().Wait(TimeSpan.FromSeconds(10)); }
        return new("hop", SimCostProbe.Median(trips) / 2, string.Create(CultureInfo.InvariantCulture,
            $"measured: half the median of {trips.Count} round trips between a worker's and the server's dedicated threads (CPUs {workerCpu} and {serverCpu}), the receiver idle, on this machine"));
    }

    /// <summary>The server's side: answers each message at once.</summary>
    private sealed class Echo : ReceiveActor
    {
        private readonly int _cpu;
        public Echo(int cpu) { _cpu = cpu; Receive<long>(t => Sender.Tell(t)); }
        protected override void PreStart() => ThreadAffinity.PinCurrentThread(_cpu); // on the actor's own thread
    }

    /// <summary>The worker's side: one message in flight, timed from send to answer.</summary>
    private sealed class Driver : ReceiveActor
    {
        private readonly int _cpu;
        private readonly IActorRef _echo;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<double> _trips = new();

        public Driver(int cpu, IActorRef echo, double seconds, TaskCompletionSource<List<double>> done)
        {
            (_cpu, _echo) = (cpu, echo);
            Receive<long>(sent =>
            {
                if (sent > 0) _trips.Add(Stopwatch.GetElapsedTime(sent).TotalSeconds);
                if (_trips.Count >= 15 && _clock.Elapsed.TotalSeconds >= seconds) { done.TrySetResult(_trips); Context.Stop(Self); return; }
                _echo.Tell(Stopwatch.GetTimestamp());
            });
        }

        protected override void PreStart()
        {
            ThreadAffinity.PinCurrentThread(_cpu);
            Self.Tell(0L); // the first send: not a round trip
        }
    }
}
