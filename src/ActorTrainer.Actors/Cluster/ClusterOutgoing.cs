namespace ActorTrainer.Actors.Cluster;

/// <summary>One message the cluster server's shell must send, in outbox order: to worker node
/// <paramref name="Node"/> (on its tensor connection; <see cref="RunJoined"/> and
/// <see cref="RunJoinRejected"/> over Akka.Remote, the node has no connection yet), or to the
/// observer when <paramref name="Node"/> is null.</summary>
public readonly record struct ClusterOutgoing(string? Node, ITrainerMessage Message)
{
    public static ClusterOutgoing ToNode(string node, ITrainerMessage message) => new(node, message);
    public static ClusterOutgoing ToObserver(ITrainerMessage message) => new(null, message);
}

// Local messages between the cluster server's shell and its state (never sent between nodes).

/// <summary>Shell → state: the node's tensor connection is open (it said Hello, for server epoch <paramref name="Epoch"/>).
/// <paramref name="ProvedName"/>: the node name on the certificate the connection's TLS handshake proved; null in plaintext.</summary>
public sealed record NodeConnected(long Epoch = 1, string? ProvedName = null) : ITrainerMessage;

/// <summary>Shell → state: stop counting on the node (it left, was removed, became unreachable, or its
/// connection broke). For good: a node that comes back joins again. <paramref name="ConnectionBroke"/>:
/// its connection ended without a goodbye (reset or end of stream: the kernel closed it for a dead process).</summary>
public sealed record NodeDropped(string Reason, bool ConnectionBroke = false) : ITrainerMessage;

/// <summary>State → shell: down the node's cluster member (Akka's Cluster.Down).</summary>
public sealed record DownMember(string Reason) : ITrainerMessage;

/// <summary>State → shell: the node's connection is taken (sent as the Welcome frame).</summary>
public sealed record WelcomeNode : ITrainerMessage;

/// <summary>State → shell: close the node's connection in order, with <paramref name="Reason"/>.</summary>
public sealed record CloseChannel(string Reason) : ITrainerMessage;
