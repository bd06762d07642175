using Akka.Configuration;
using Akka.Dispatch;

namespace ActorTrainer.Actors.Hosting;

/// <summary>
/// A pinned dispatcher (one thread per actor) whose idle thread sleeps instead of spinning.
/// Not Akka's <c>PinnedDispatcher</c>: its idle threads spin and yield, taking CPU from the training loop
/// (docs/decisions.md#dispatcher); here an idle thread blocks on a monitor at once.
///
/// HOCON: <c>type = "ActorTrainer.Actors.Hosting.DedicatedThreadDispatcherConfigurator, ActorTrainer.Actors"</c>,
/// with the usual <c>throughput</c>, <c>throughput-deadline-time</c> and <c>shutdown-timeout</c>.
/// </summary>
public sealed class DedicatedThreadDispatcherConfigurator : MessageDispatcherConfigurator
{
    private readonly ExecutorServiceFactory _executors;

    public DedicatedThreadDispatcherConfigurator(Config config, IDispatcherPrerequisites prerequisites)
        : base(config, prerequisites)
    {
        _executors = new DedicatedThreadExecutorFactory();
    }

    /// <summary>A new dispatcher, and so a new thread, for every actor that asks.</summary>
    public override MessageDispatcher Dispatcher()
    {
        if (Config.IsNullOrEmpty()) throw ConfigurationException.NullOrEmptyConfig<MessageDispatcher>();
        return new PinnedDispatcher(this, Config.GetString("id", null),
            Config.GetInt("throughput", 0),
            Config.GetTimeSpan("throughput-deadline-time", null).Ticks,
            _executors,
            Config.GetTimeSpan("shutdown-timeout", null));
    }
}

/// <summary>Produces one <see cref="DedicatedThreadExecutor"/> per dispatcher.</summary>
internal sealed class DedicatedThreadExecutorFactory : ExecutorServiceFactory
{
    public override ExecutorService Produce(string id) => new DedicatedThreadExecutor(id);
}

/// <summary>
/// One background thread running queued work in order; blocks (no spinning) while the queue is
/// empty. Work queued after <see cref="Shutdown"/> is dropped, as with Akka's own executors once
/// their dispatcher has shut down (the dispatcher stops queueing before that).
/// </summary>
internal sealed class DedicatedThreadExecutor : ExecutorService
{
    private readonly Queue<IRunnable> _queue = new();
    private readonly object _gate = new();
    private bool _shutdown;

    public DedicatedThreadExecutor(string id) : base(id)
    {
        var thread = new Thread(Loop) { IsBackground = true, Name = id };
        thread.Start();
    }

    public override void Execute(IRunnable run)
    {
        ArgumentNullException.ThrowIfNull(run);
        lock (_gate)
        {
            if (_shutdown) return;
            _queue.Enqueue(run);
            if (_queue.Count == 1) Monitor.Pulse(_gate); // the thread waits only on an empty queue
        }
    }

    public override void Shutdown()
    {
        lock (_gate)
        {
            _shutdown = true;
            Monitor.Pulse(_gate);
        }
    }

    private void Loop()
    {
        while (true)
        {
            IRunnable next;
            lock (_gate)
            {
                while (_queue.Count == 0)
                {
                    if (_shutdown) return;
                    Monitor.Wait(_gate);
                }
                next = _queue.Dequeue();
            }
            next.Run(); // a mailbox run: Akka handles the actor's exceptions inside it
        }
    }
}
