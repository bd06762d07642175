using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Worker;

namespace ActorTrainer.Actors.Cluster;

// Messages between a worker node's agent and the cluster parameter server (on the active ps node), and
// what the server reports to its observer about membership. Only JoinRun and its answer travel over
// Akka.Remote (sent to /user/server on every ps node: the active one answers); everything after — slots,
// registrations, pushes, their answers, weights, the end — travels on the node's one tensor
// connection, in order (docs/cluster.md). Slots: the run has G slots, slot g owns streams [g·B, (g+1)·B) of the corpus layout
// (S = G·B); a slot's id is the worker id the parameter server's state sees.

/// <summary>A worker node asks to take part in the run, offering <paramref name="Capacity"/> workers
/// (slots it wants to host). Answered by <see cref="RunJoined"/> or <see cref="RunJoinRejected"/>.
/// Sent again until answered: the server may not exist yet. <paramref name="NodeName"/>: the name on the
/// node's certificate ("" in plaintext); with TLS its tensor connection must prove it, or it is refused.</summary>
public sealed record JoinRun(int Capacity, RunFingerprint Fingerprint, string NodeName = "") : ITrainerMessage;

/// <summary>The node is in. <paramref name="TotalSlots"/> = G fixes the stream layout (S = G·B) the
/// node must build its computers over. <paramref name="TensorPort"/>: the port of the ps node's tensor
/// channel (at the server's host), which the node opens next; slots follow on it as <see cref="SlotAssigned"/>.
/// <paramref name="Epoch"/>: the server's incarnation (1 for a new run, one more at every resume); the node
/// names it in its Hello, and a server refuses a connection made for another epoch (fencing).</summary>
public sealed record RunJoined(int TotalSlots, int TensorPort, long Epoch = 1) : ITrainerMessage;

/// <summary>Node <paramref name="Node"/> (its address) may not take part: its fingerprint differs,
/// or the run is over. Sent to the node and to the observer.</summary>
public sealed record RunJoinRejected(string Node, string Reason) : ITrainerEvent;

// ---- on the node's one tensor connection (ChannelFrameCodec), in order, both ways ----------

/// <summary>Host slot <paramref name="Slot"/> (streams [FirstStream, FirstStream + StreamCount)) from
/// chunk <paramref name="NextChunk"/> on, with <paramref name="Hidden"/> (B×H) as the streams' carried
/// state — the h the server received with the slot's last accepted chunk; empty = zeros (the run's start).
/// <paramref name="Assignment"/> names this hosting: everything the node sends for the slot carries it,
/// so the server can tell it from an earlier hosting of the same slot. The array is not copied.</summary>
public sealed record SlotAssigned(int Slot, long Assignment, int FirstStream, int StreamCount, long NextChunk, float[] Hidden) : ITrainerMessage;

/// <summary>Stop hosting slot <paramref name="Slot"/> under <paramref name="Assignment"/>: it moved.</summary>
public sealed record SlotRevoked(int Slot, long Assignment, string Reason) : ITrainerMessage;

/// <summary>Node → server: the worker of <paramref name="Slot"/> under <paramref name="Assignment"/>
/// asks to register (the node's model was checked when it joined). Answered by
/// <see cref="WorkerRegistered"/> or <see cref="RegistrationRejected"/>.</summary>
public sealed record RegisterSlotWorker(int Slot, long Assignment) : ITrainerMessage;

/// <summary>Node → server: a push of the slot's worker under <paramref name="Assignment"/>
/// (<see cref="PushGradient.Hidden"/> is the slot's h after the chunk). Answered on the same
/// connection by <see cref="GradientApplied"/> or <see cref="GradientRejected"/>.</summary>
public sealed record SlotPush(long Assignment, PushGradient Push) : ITrainerMessage;

/// <summary>Node → server: the slot's worker skipped a non-finite chunk.</summary>
public sealed record SlotSkipped(long Assignment, NonFiniteGradientSkipped Skipped) : ITrainerMessage;

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

/// <summary>Observer event: a tensor connection that said Hello as <paramref name="Node"/> was closed
/// without taking part (another epoch, not joined, another node's identity, a second connection).</summary>
public sealed record ConnectionRefused(string Node, string Reason) : ITrainerEvent;

/// <summary>Observer event: slot <paramref name="Slot"/> moved from <paramref name="From"/> to
/// <paramref name="To"/> (null = unassigned), resuming at chunk <paramref name="NextChunk"/> with the h
/// received with the chunk before it (<paramref name="CarriesHidden"/>; false: zeros, the run's start).</summary>
public sealed record SlotMoved(int Slot, string? From, string? To, long NextChunk, bool CarriesHidden) : ITrainerEvent;

/// <summary>Observer event: the parameter server threw while handling a message. It stopped — its W and
/// round state can no longer be trusted, so it is never restarted in place — and the run ends with this
/// error; worker nodes see the server stop and leave.</summary>
public sealed record ServerFailed(string Detail) : ITrainerEvent;
