using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Worker;
using Akka.Actor;

namespace ActorTrainer.Actors.TensorChannel;

/// <summary>A worker node's workers push their gradients onto the node's tensor connection, tagged with
/// the worker actor's name (the server checks it is the slot's current worker).</summary>
public sealed class ChannelGradientSink(TensorConnection connection) : IGradientSink
{
    public bool Push(PushGradient push, IActorRef worker) => connection.Send(new PushFrame(worker.Path.Name, push));
}
