using ActorTrainer.Actors.ParameterServer;
using Akka.Actor;

namespace ActorTrainer.Actors.TensorChannel;

// Local messages from tensor channel threads to the actors that own the connections (never sent
// between nodes, so never serialized: they carry the connection itself). On the ps node they go to
// the parameter server, on a worker node to its agent.

/// <summary>ps node: worker node <paramref name="Node"/> (its cluster address) opened a tensor connection.</summary>
public sealed record TensorChannelOpened(string Node, TensorConnection Connection) : INoSerializationVerificationNeeded;

/// <summary>ps node: a gradient push from the worker actor named <paramref name="Worker"/> on the node of <paramref name="Connection"/>.</summary>
public sealed record TensorChannelPushed(TensorConnection Connection, string Worker, PushGradient Push) : INoSerializationVerificationNeeded;

/// <summary>Worker node: the connection is open (not yet welcomed).</summary>
public sealed record TensorChannelConnected(TensorConnection Connection) : INoSerializationVerificationNeeded;

/// <summary>Worker node: the parameter server took the connection: tensors go over it from now on.</summary>
public sealed record TensorChannelWelcomed : INoSerializationVerificationNeeded;

/// <summary>Either side: <paramref name="Connection"/> ended, orderly or not.</summary>
public sealed record TensorChannelEnded(TensorConnection Connection, ChannelClosed Closed) : INoSerializationVerificationNeeded;
