using Akka.Actor;

namespace ActorTrainer.Actors.TensorChannel;

// Local messages from tensor channel threads to the actors that own the connections (never sent
// between nodes, so never serialized: they carry the connection itself). On the ps node they go to
// the parameter server, on a worker node to its agent.

/// <summary>ps node: worker node <paramref name="Node"/> (its cluster address) opened a tensor connection for server epoch <paramref name="Epoch"/>.</summary>
public sealed record TensorChannelOpened(string Node, TensorConnection Connection, long Epoch = 1) : INoSerializationVerificationNeeded;

/// <summary>Either side: <paramref name="Message"/> arrived on <paramref name="Connection"/> (the reader
/// thread hands every message to the owning actor's mailbox, in the connection's order).</summary>
public sealed record TensorChannelReceived(TensorConnection Connection, ITrainerMessage Message) : INoSerializationVerificationNeeded;

/// <summary>Worker node: the connection is open (not yet welcomed).</summary>
public sealed record TensorChannelConnected(TensorConnection Connection) : INoSerializationVerificationNeeded;

/// <summary>Worker node: the parameter server took the connection; the node's slots follow on it.</summary>
public sealed record TensorChannelWelcomed(TensorConnection Connection) : INoSerializationVerificationNeeded;

/// <summary>Either side: <paramref name="Connection"/> ended, orderly or not.</summary>
public sealed record TensorChannelEnded(TensorConnection Connection, ChannelClosed Closed) : INoSerializationVerificationNeeded;
