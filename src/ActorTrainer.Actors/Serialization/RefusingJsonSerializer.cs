using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Event;
using Akka.Serialization;

namespace ActorTrainer.Actors.Serialization;

/// <summary>
/// Takes the place (and the identifier, 1) of Akka's Newtonsoft JSON serializer, which would create any
/// type a peer names in its manifest: nothing is serialized or deserialized as JSON on a trainer node.
/// Every message type without a binding of its own goes to the allow-listed Hyperion instead
/// ("System.Object" = hyperion in TrainerHocon and hocon/cluster.conf). A refused message is logged once.
/// </summary>
public sealed class RefusingJsonSerializer : Serializer
{
    private int _logged;

    public RefusingJsonSerializer(ExtendedActorSystem system) : base(system) { }

    /// <summary>Akka passes akka.actor.serialization-settings.json; there is nothing to set.</summary>
    public RefusingJsonSerializer(ExtendedActorSystem system, Akka.Configuration.Config config) : base(system) { }

    public override int Identifier => 1;
    public override bool IncludeManifest => true;

    public override byte[] ToBinary(object obj) =>
        throw new SerializationException($"{obj?.GetType().FullName ?? "null"} has no serializer binding, and JSON is disabled on trainer nodes");

    public override object FromBinary(byte[] bytes, Type type)
    {
        if (Interlocked.Exchange(ref _logged, 1) == 0)
            Logging.GetLogger(base.system, typeof(RefusingJsonSerializer))
                .Warning("refused a JSON-serialized message (type {0}): JSON is disabled on trainer nodes (logged once)", type?.FullName ?? "unknown");
        throw new SerializationException($"JSON-serialized messages are refused (type {type?.FullName ?? "unknown"})");
    }
}
