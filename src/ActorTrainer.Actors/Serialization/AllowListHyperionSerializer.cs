using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Serialization;

namespace ActorTrainer.Actors.Serialization;

/// <summary>
/// Akka's Hyperion serializer (same identifier, same wire format) with <see cref="TrainerTypeFilter"/> as
/// its type filter: a message naming any type but the trainer's, Akka's or plain runtime values and
/// collections is refused before anything is created, and each refused type is logged once as a warning.
/// Bound in place of "hyperion" (see TrainerHocon and hocon/cluster.conf). Hyperion's own
/// <c>allowed-types</c> needs every type listed exactly, generic instantiations included, so the filter
/// is passed in code instead.
/// </summary>
public sealed class AllowListHyperionSerializer : HyperionSerializer
{
    public AllowListHyperionSerializer(ExtendedActorSystem system, Config config)
        : base(system, WithFilter(HyperionSerializerSettings.Create(config), system)) { }

    public AllowListHyperionSerializer(ExtendedActorSystem system)
        : base(system, WithFilter(HyperionSerializerSettings.Default, system)) { }

    private static HyperionSerializerSettings WithFilter(HyperionSerializerSettings s, ExtendedActorSystem? system)
    {
        // The logger is made at the first refusal: serializers are built before the system can log.
        ILoggingAdapter? log = null;
        var filter = new TrainerTypeFilter(type =>
            (log ??= system is null ? null : Logging.GetLogger(system, typeof(AllowListHyperionSerializer)))?.Warning("refused to deserialize a message of type {0}: not one of the trainer's or Akka's types (logged once per type)", type));
        return new HyperionSerializerSettings(s.PreserveObjectReferences, s.VersionTolerance, s.KnownTypesProvider,
            s.PackageNameOverrides, s.Surrogates, disallowUnsafeType: true, filter);
    }
}
