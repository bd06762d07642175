namespace ActorTrainer.Actors;

/// <summary>Who a message from an actor's state (server or worker) goes to.</summary>
public enum Audience
{
    /// <summary>One registered worker, <see cref="Recipient.WorkerId"/> (from the server).</summary>
    Worker,
    /// <summary>Every registered worker (from the server).</summary>
    AllWorkers,
    /// <summary>The run's observer (the coordinator): metrics and lifecycle events (from the server).</summary>
    Observer,
    /// <summary>Whoever sent the message being handled (a refused registration, an unknown worker).</summary>
    Sender,
    /// <summary>Parameter-server shard <see cref="Recipient.Shard"/> (from a worker; 0 when unsharded).</summary>
    Server,
    /// <summary>The actor itself (a worker's next-chunk tick).</summary>
    Self,
}

/// <summary>A recipient; <see cref="Id"/> is the worker id for <see cref="Audience.Worker"/>, the shard
/// index for <see cref="Audience.Server"/>, and unused otherwise.</summary>
public readonly record struct Recipient(Audience Audience, int Id)
{
    public int WorkerId => Id;
    public int Shard => Id;
    public static Recipient Worker(int workerId) => new(Audience.Worker, workerId);
    public static Recipient Server(int shard = 0) => new(Audience.Server, shard);
    public static readonly Recipient AllWorkers = new(Audience.AllWorkers, -1);
    public static readonly Recipient Observer = new(Audience.Observer, -1);
    public static readonly Recipient Sender = new(Audience.Sender, -1);
    public static readonly Recipient Self = new(Audience.Self, -1);
}

/// <summary>One message the actor shell must send, in outbox order (one vocabulary for every state class).</summary>
public readonly record struct Outgoing(Recipient To, ITrainerMessage Message);
