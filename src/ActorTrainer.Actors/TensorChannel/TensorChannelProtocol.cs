using ActorTrainer.Actors.ParameterServer;

namespace ActorTrainer.Actors.TensorChannel;

// Local messages from tensor channel threads to the actors that own the connections (never sent
// between nodes). On the ps node they go to the parameter server, on a worker node to its agent.

/// <summary>ps node: worker node <paramref name="Node"/> (its cluster address) opened a tensor connection.</summary>
public sealed record TensorChannelOpened(string Node, TensorConnection Connection);

/// <summary>ps node: a gradient push from the worker actor named <paramref name="Worker"/> on the node of <paramref name="Connection"/>.</summary>
public sealed record TensorChannelPushed(TensorConnection Connection, string Worker, PushGradient Push);

/// <summary>Worker node: the connection is open (not yet welcomed).</summary>
public sealed record TensorChannelConnected(TensorConnection Connection);

/// <summary>Worker node: the parameter server took the connection: tensors go over it from now on.</summary>
public sealed record TensorChannelWelcomed;

/// <summary>Either side: <paramref name="Connection"/> ended, orderly or not.</summary>
public sealed record TensorChannelEnded(TensorConnection Connection, ChannelClosed Closed);
