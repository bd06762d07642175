namespace ActorTrainer.Actors.Cluster;

// What a worker node's agent state asks its shell to do (NodeAgentState's outbox), and the local events
// the shell tells the state. None of these cross the network.

/// <summary>One thing the agent's shell must do, in outbox order.</summary>
public abstract record AgentOutgoing;

/// <summary>Open the tensor connection to the server's host at <paramref name="Port"/>, saying Hello for server epoch <paramref name="Epoch"/>.</summary>
public sealed record OpenChannel(int Port, long Epoch = 1) : AgentOutgoing;

/// <summary>Send <paramref name="Message"/> to the server on the connection.</summary>
public sealed record ToServer(ITrainerMessage Message) : AgentOutgoing;

/// <summary>Hand <paramref name="Message"/> to the worker of <paramref name="Slot"/>.</summary>
public sealed record ToWorker(int Slot, ITrainerMessage Message) : AgentOutgoing;

/// <summary>Start a worker for the slot at its chunk, with its h (empty: zeros).</summary>
public sealed record StartWorker(SlotAssigned Slot) : AgentOutgoing;

/// <summary>Stop the worker of <paramref name="Slot"/>.</summary>
public sealed record StopWorker(int Slot) : AgentOutgoing;

/// <summary>The server went away (<paramref name="Reason"/>): drop the connection and the server, and ask every ps
/// node to take the node in again (<see cref="JoinRun"/>) until one answers or the search times out.</summary>
public sealed record FindServer(string Reason) : AgentOutgoing;

/// <summary>The node's part in the run is over.</summary>
public sealed record CompleteNode(WorkerNodeResult Result) : AgentOutgoing;

/// <summary>Shell → state: the server took the connection.</summary>
public sealed record ChannelWelcomed : ITrainerMessage;

/// <summary>Shell → state: the connection ended (or could not be opened), with why.</summary>
public sealed record ChannelEnded(string Reason) : ITrainerMessage;

/// <summary>Shell → state: the server's actor stopped (Akka saw it go).</summary>
public sealed record ServerStopped : ITrainerMessage;

/// <summary>State → shell: the server's actor is gone but its connection is still open, and the frames it
/// sent last (the run's end) may still be on their way over a slow link: tell the state
/// <see cref="ChannelGraceEnded"/> after <paramref name="Grace"/>.</summary>
public sealed record AwaitChannel(TimeSpan Grace) : AgentOutgoing;

/// <summary>Shell → state: the wait of <see cref="AwaitChannel"/> is over.</summary>
public sealed record ChannelGraceEnded : ITrainerMessage;

/// <summary>Shell → state: no parameter server took the node in within the search's time limit.</summary>
public sealed record ServerSearchTimedOut(TimeSpan After) : ITrainerMessage;

/// <summary>Shell → state: the worker of <paramref name="Slot"/> failed or stopped on its own.</summary>
public sealed record WorkerFailed(int Slot, string Reason) : ITrainerMessage;
