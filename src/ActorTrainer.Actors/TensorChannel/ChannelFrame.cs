namespace ActorTrainer.Actors.TensorChannel;

// What travels on the tensor channel: ONE plain TCP connection between each worker node and the ps
// node. After the node has joined over Akka.Remote (JoinRun), every message of the run between the two
// goes on it, in order: slots, registrations, pushes and their answers (accepted or not), weights and
// the end. Wire layout in ChannelFrameCodec.

/// <summary>One frame of the tensor channel.</summary>
public abstract record ChannelFrame;

/// <summary>Worker node → ps, first frame: the node's cluster address (as the server sees its agent's) and the
/// server epoch it joined (<see cref="Cluster.RunJoined.Epoch"/>): every message on the connection belongs to it.</summary>
public sealed record HelloFrame(string Node, long Epoch = 1) : ChannelFrame;

/// <summary>ps → worker node: the server has taken the connection; the node's slots follow on it.</summary>
public sealed record WelcomeFrame : ChannelFrame;

/// <summary>Either way, last frame of an orderly close (the run finished, the node leaves).</summary>
public sealed record CloseFrame(string Reason) : ChannelFrame;

/// <summary>One message of the run's protocol (ClusterProtocol.cs, ParameterServerProtocol.cs); which
/// ones the codec carries, and how, is listed in <see cref="ChannelFrameCodec"/>.</summary>
public sealed record MessageFrame(ITrainerMessage Message) : ChannelFrame;

/// <summary>The bytes on a tensor channel are not frames of this protocol (corrupt length, unknown kind, wrong magic).</summary>
public sealed class ChannelProtocolException(string message) : IOException(message);
