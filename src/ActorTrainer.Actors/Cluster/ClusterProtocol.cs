using ActorTrainer.Actors.ParameterServer;

namespace ActorTrainer.Actors.Cluster;

// Messages between a worker node's agent and the cluster parameter server (the ps singleton), and
// what the server reports to its observer about membership. The agent talks to the server through
// the singleton proxy until it is accepted, then directly (the server's reply is sent from its own
// address). Slots: the run has G slots, slot g owns streams [g·B, (g+1)·B) of the corpus layout
// (S = G·B); a slot's id is the worker id the parameter server's state sees.

/// <summary>A worker node asks to take part in the run, offering <paramref name="Capacity"/> workers
/// (slots it wants to host). Answered by <see cref="RunJoined"/> or <see cref="RunJoinRejected"/>.
/// Sent again until answered: the server may not exist yet.</summary>
public sealed record JoinRun(int Capacity, RunFingerprint Fingerprint) : ITrainerMessage;

/// <summary>The node is in. <paramref name="TotalSlots"/> = G fixes the stream layout (S = G·B) the
/// node must build its computers over. <paramref name="TensorPort"/>: the port of the ps node's tensor
/// channel (at the server's host), which the node opens before it hosts workers; 0 = no channel,
/// tensors travel over Akka.Remote in parts. Slots follow as <see cref="SlotAssigned"/>.</summary>
public sealed record RunJoined(int TotalSlots, int TensorPort = 0) : ITrainerMessage;

/// <summary>Node <paramref name="Node"/> (its address) may not take part: its fingerprint differs,
/// or the run is over. Sent to the node and to the observer.</summary>
public sealed record RunJoinRejected(string Node, string Reason) : ITrainerEvent;

/// <summary>Host slot <paramref name="Slot"/> (streams [FirstStream, FirstStream + StreamCount)) from
/// chunk <paramref name="NextChunk"/> on, with the hidden state reset to zero; the worker registers
/// with the server under the slot's id.</summary>
public sealed record SlotAssigned(int Slot, int FirstStream, int StreamCount, long NextChunk) : ITrainerMessage;

/// <summary>Stop hosting slot <paramref name="Slot"/>: it moved to another node.</summary>
public sealed record SlotRevoked(int Slot, string Reason) : ITrainerMessage;

/// <summary>The run is over; worker nodes stop their workers and leave.</summary>
public sealed record RunFinished(CompletionReason Reason, string Detail, long Updates) : ITrainerMessage;

/// <summary>Observer event: the parameter server is running on this node (the observer learns its address).</summary>
public sealed record ServerStarted(int Slots) : ITrainerEvent;

/// <summary>Observer event: a worker node joined the run offering <paramref name="Capacity"/> workers;
/// the joined nodes now offer <paramref name="TotalCapacity"/> for the run's <paramref name="Slots"/> slots.</summary>
public sealed record NodeJoined(string Node, int Capacity, int TotalCapacity, int Slots) : ITrainerEvent;

/// <summary>Observer event: the server stopped counting on a node (it left, was removed, became
/// unreachable, or its agent stopped); its slots move on.</summary>
public sealed record NodeLeft(string Node, string Reason) : ITrainerEvent;

/// <summary>Observer event: slot <paramref name="Slot"/> moved from <paramref name="From"/> to
/// <paramref name="To"/> (null = unassigned), resuming at chunk <paramref name="NextChunk"/>.</summary>
public sealed record SlotMoved(int Slot, string? From, string? To, long NextChunk) : ITrainerEvent;

/// <summary>Observer event: the parameter server threw while handling a message. It stopped — its W and
/// round state can no longer be trusted, so it is never restarted in place — and the run ends with this
/// error; worker nodes see the server stop and leave.</summary>
public sealed record ServerFailed(string Detail) : ITrainerEvent;
