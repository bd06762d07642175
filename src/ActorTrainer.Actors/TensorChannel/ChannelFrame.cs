using ActorTrainer.Actors.ParameterServer;

namespace ActorTrainer.Actors.TensorChannel;

// What travels on the tensor channel: a plain TCP connection between each worker node and the ps
// node that carries the big tensors (gradient pushes up, new weights down) beside Akka.Remote, which
// keeps membership, registration and control. Wire layout in ChannelFrameCodec.

/// <summary>One frame of the tensor channel.</summary>
public abstract record ChannelFrame;

/// <summary>Worker node → ps, first frame: the node's cluster address (as the server sees its agent's).</summary>
public sealed record HelloFrame(string Node) : ChannelFrame;

/// <summary>ps → worker node: the server has registered the connection; tensors for the node go over it from now on.</summary>
public sealed record WelcomeFrame : ChannelFrame;

/// <summary>Worker node → ps: a gradient push of the local worker actor named <paramref name="Worker"/>
/// (its actor name, so the server can tell a slot's current worker from one it replaced).</summary>
public sealed record PushFrame(string Worker, PushGradient Push) : ChannelFrame;

/// <summary>ps → worker node: new weights, once per node (its agent hands them to its workers).</summary>
public sealed record WeightsFrame(WeightsPublished Weights) : ChannelFrame;

/// <summary>ps → worker node: a push was applied (the worker's flow control waits for it; in sync mode
/// it follows the round's weights on the same connection, so neither waits on the other path).</summary>
public sealed record AppliedFrame(GradientApplied Applied) : ChannelFrame;

/// <summary>Either way, last frame of an orderly close (the run finished, the node leaves).</summary>
public sealed record CloseFrame(string Reason) : ChannelFrame;

/// <summary>The bytes on a tensor channel are not frames of this protocol (corrupt length, unknown kind, wrong magic).</summary>
public sealed class ChannelProtocolException(string message) : IOException(message);
