namespace ActorTrainer.Actors.ParameterServer;

/// <summary>Who a message from the server's state goes to.</summary>
public enum Audience
{
    /// <summary>One registered worker, <see cref="Recipient.WorkerId"/>.</summary>
    Worker,
    /// <summary>Every registered worker.</summary>
    AllWorkers,
    /// <summary>The run's observer (the coordinator): metrics and lifecycle events.</summary>
    Observer,
    /// <summary>Whoever sent the message being handled (a refused registration, an unknown worker).</summary>
    Sender,
}

/// <summary>A recipient; WorkerId is meaningful only for <see cref="Audience.Worker"/>.</summary>
public readonly record struct Recipient(Audience Audience, int WorkerId)
{
    public static Recipient Worker(int workerId) => new(Audience.Worker, workerId);
    public static readonly Recipient AllWorkers = new(Audience.AllWorkers, -1);
    public static readonly Recipient Observer = new(Audience.Observer, -1);
    public static readonly Recipient Sender = new(Audience.Sender, -1);
}

/// <summary>One message the actor shell must send, in outbox order.</summary>
public readonly record struct Outgoing(Recipient To, ITrainerMessage Message);
