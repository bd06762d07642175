using ActorTrainer.Actors.Hosting;
using Akka.Configuration;

namespace ActorTrainer.Actors.Tests;

/// <summary>Config of every TestKit test: the trainer's dispatchers and serializers, with
/// serialize-messages on so that every local message goes through its serializer and serializer
/// problems surface without a cluster.</summary>
internal static class TestHocon
{
    public static Config Config => ConfigurationFactory.ParseString("""
        akka.actor.serialize-messages = on
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        """).WithFallback(TrainerHocon.Config);
}
