using Akka.Actor;
using Akka.Configuration;

namespace ActorTrainer.Actors.Hosting;

/// <summary>
/// The HOCON the trainer's actors need, for hosts to include (ConfigurationFactory.ParseString,
/// then WithFallback their own): the dedicated dispatchers and the serializer bindings.
/// </summary>
public static class TrainerHocon
{
    /// <summary>Dispatcher of worker actors (and the coordinator, which runs validation).</summary>
    public const string ComputeDispatcherId = "actortrainer.compute-dispatcher";

    /// <summary>Dispatcher of the parameter server.</summary>
    public const string ServerDispatcherId = "actortrainer.server-dispatcher";

    /// <summary>Dedicated dispatchers: compute never runs on akka.actor.default-dispatcher.</summary>
    public const string DispatchersHocon = """
        actortrainer {
          # One thread per actor: a worker's chunk (forward + backward, CPU-bound for milliseconds to
          # seconds) never competes with mailbox handling on the default dispatcher's pool. Like
          # Akka's PinnedDispatcher, but an idle thread sleeps instead of spinning (see
          # DedicatedThreadDispatcherConfigurator).
          compute-dispatcher {
            type = "ActorTrainer.Actors.Hosting.DedicatedThreadDispatcherConfigurator, ActorTrainer.Actors"
            # one message per turn: weights that arrive during a chunk are taken before the next one
            throughput = 1
          }
          # The parameter server applies an O(P) update per gradient; its own thread keeps it
          # responsive however busy the workers are.
          server-dispatcher {
            type = "ActorTrainer.Actors.Hosting.DedicatedThreadDispatcherConfigurator, ActorTrainer.Actors"
            throughput = 100
          }
        }
        """;

    /// <summary>
    /// Serializers: the three tensor-carrying messages and the parts they are sent in across nodes by exact type to TensorMessageSerializer
    /// (raw little-endian floats), every other trainer message via its marker interface to Hyperion, which
    /// deserializes only the trainer's and Akka's types (<see cref="Serialization.AllowListHyperionSerializer"/>).
    /// An exact-type binding always wins over an interface binding.
    /// </summary>
    public const string SerializationHocon = """
        akka.actor {
          serializers {
            # Hyperion behind the trainer's allow-list (AllowListHyperionSerializer): other types are refused
            hyperion = "ActorTrainer.Actors.Serialization.AllowListHyperionSerializer, ActorTrainer.Actors"
            # Akka's Newtonsoft JSON would create any type a peer names: replaced by one that refuses
            json = "ActorTrainer.Actors.Serialization.RefusingJsonSerializer, ActorTrainer.Actors"
            actortrainer-tensor = "ActorTrainer.Actors.Serialization.TensorMessageSerializer, ActorTrainer.Actors"
          }
          serialization-bindings {
            "System.Object" = hyperion
            "ActorTrainer.Actors.ITrainerMessage, ActorTrainer.Actors" = hyperion
            "ActorTrainer.Actors.ParameterServer.PushGradient, ActorTrainer.Actors" = actortrainer-tensor
            "ActorTrainer.Actors.ParameterServer.WeightsPublished, ActorTrainer.Actors" = actortrainer-tensor
            "ActorTrainer.Actors.ParameterServer.WorkerRegistered, ActorTrainer.Actors" = actortrainer-tensor
            "ActorTrainer.Actors.Serialization.TensorPart, ActorTrainer.Actors" = actortrainer-tensor
          }
          serialization-identifiers {
            "ActorTrainer.Actors.Serialization.TensorMessageSerializer, ActorTrainer.Actors" = 7301
          }
        }
        """;

    /// <summary>Dispatchers + serialization, ready to use as a fallback.</summary>
    public static Config Config => ConfigurationFactory.ParseString(DispatchersHocon + "\n" + SerializationHocon);

    /// <summary>An actor system in this process only (a run, a bench, a probe): <see cref="Config"/>, logging
    /// warnings and errors, so that a command's standard output carries only its result.</summary>
    public static ActorSystem LocalSystem(string name) => ActorSystem.Create(name,
        ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING").WithFallback(Config));
}
