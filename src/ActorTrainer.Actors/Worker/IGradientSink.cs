using ActorTrainer.Actors.ParameterServer;
using Akka.Actor;

namespace ActorTrainer.Actors.Worker;

/// <summary>
/// Where a worker's gradient pushes go when not to the server's actor ref: on a cluster worker node,
/// the node's tensor channel to the parameter server. Everything else the worker sends (registration,
/// skipped chunks) still goes to the server's ref; replies come back as usual.
/// </summary>
public interface IGradientSink
{
    /// <summary>Sends <paramref name="push"/> for <paramref name="worker"/> without blocking; false when it
    /// cannot be sent any more (the channel broke — its owner reports that and ends the node's part).</summary>
    bool Push(PushGradient push, IActorRef worker);
}
