using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Akka.TestKit.Xunit2;

namespace ActorTrainer.Actors.Tests.Serialization;

/// <summary>Only the trainer's and Akka's message types deserialize through Hyperion; anything else is refused
/// before it is created, and logged once.</summary>
public sealed class AllowListHyperionSerializerTests() : TestKit(TestHocon.Config)
{
    /// <summary>Harmless, but not a trainer or Akka type: it stands in for a deserialization gadget.</summary>
    public sealed record Intruder(string Payload);

    private Serializer Hyperion => Sys.Serialization.FindSerializerForType(typeof(WorkerLeft));

    /// <summary>The bytes an attacker would send: Hyperion without any filter, the same wire format.</summary>
    private byte[] Unfiltered(object o) => new HyperionSerializer((ExtendedActorSystem)Sys).ToBinary(o);

    [Fact]
    public void Trainer_messages_are_bound_to_the_allow_list_serializer_and_round_trip()
    {
        Assert.IsType<AllowListHyperionSerializer>(Hyperion);
        var left = new WorkerLeft(3, "gone");
        Assert.Equal(left, Hyperion.FromBinary(Hyperion.ToBinary(left), typeof(WorkerLeft)));
        var rejected = new GradientRejected(1, 2, 3, RejectionReason.AboveClipNorm, "too big", 4);
        Assert.Equal(rejected, Hyperion.FromBinary(Hyperion.ToBinary(rejected), typeof(GradientRejected)));
    }

    [Fact]
    public void A_foreign_type_is_refused_and_logged_once()
    {
        var bytes = Unfiltered(new Intruder("calc.exe"));
        EventFilter.Warning(contains: "refused to deserialize a message of type ActorTrainer.Actors.Tests.Serialization.AllowListHyperionSerializerTests+Intruder")
            .Expect(1, () =>
            {
                Assert.ThrowsAny<Exception>(() => Hyperion.FromBinary(bytes, typeof(object)));
                Assert.ThrowsAny<Exception>(() => Hyperion.FromBinary(bytes, typeof(object)));
            });
    }

    [Fact]
    public void A_trainer_message_carrying_a_foreign_type_inside_is_refused()
    {
        var bytes = Unfiltered(new List<object> { new WorkerLeft(1, "x"), new Intruder("inside") });
        Assert.ThrowsAny<Exception>(() => Hyperion.FromBinary(bytes, typeof(object)));
    }

    [Theory]
    [InlineData("ActorTrainer.Actors.ParameterServer.WorkerLeft, ActorTrainer.Actors", true)]
    [InlineData("Akka.Actor.Address, Akka", true)]
    [InlineData("Akka.Remote.RemoteActorRef, Akka.Remote", true)]
    [InlineData("System.String, System.Private.CoreLib,%core%", true)]
    [InlineData("System.Single[], System.Private.CoreLib,%core%", true)]
    [InlineData("System.Collections.Generic.List`1[[ActorTrainer.Actors.ParameterServer.WorkerLeft, ActorTrainer.Actors]], System.Private.CoreLib,%core%", true)]
    [InlineData("System.Collections.Generic.Dictionary`2[[System.Int32, System.Private.CoreLib,%core%],[System.Int64, System.Private.CoreLib,%core%]], System.Private.CoreLib,%core%", true)]
    [InlineData("System.Collections.Immutable.ImmutableList`1[[System.String, System.Private.CoreLib,%core%]], System.Collections.Immutable", true)]
    [InlineData("System.Diagnostics.Process, System.Diagnostics.Process", false)]
    [InlineData("System.IO.FileInfo, System.Private.CoreLib,%core%", false)]
    [InlineData("System.Windows.Data.ObjectDataProvider, PresentationFramework", false)]
    [InlineData("System.Collections.Generic.List`1[[System.Diagnostics.Process, System.Diagnostics.Process]], System.Private.CoreLib,%core%", false)]
    [InlineData("System.Collections.Generic.List`1[[System.String, System.Private.CoreLib,%core%]", false)] // unbalanced
    [InlineData("ActorTrainer.Actors.Tests.Evil, ActorTrainer.Actors.Tests", false)]
    [InlineData("AkkaEvil.Gadget, AkkaEvil", false)]
    [InlineData("ActorTrainer.Actors.ParameterServer.WorkerLeft", false)] // no assembly: never what Hyperion writes
    [InlineData("", false)]
    public void The_filter_allows_only_trainer_Akka_and_plain_runtime_types(string name, bool allowed)
    {
        Assert.Equal(allowed, new TrainerTypeFilter().IsAllowed(name));
    }

    [Fact]
    public void The_filter_reports_each_refused_name_once_and_stops_remembering_after_a_bound()
    {
        var reported = new List<string>();
        var filter = new TrainerTypeFilter(reported.Add);
        filter.IsAllowed("Evil.A, Evil");
        filter.IsAllowed("Evil.A, Evil");
        Assert.Equal(["Evil.A, Evil"], reported);
        for (int i = 0; i < TrainerTypeFilter.MaxReportedNames + 10; i++) filter.IsAllowed($"Evil.T{i}, Evil");
        Assert.Equal(TrainerTypeFilter.MaxReportedNames, reported.Count);
    }
}

/// <summary>Akka's JSON serializer (identifier 1) is replaced: a message tagged with it is refused.</summary>
public sealed class RefusingJsonSerializerTests() : TestKit(TestHocon.Config)
{
    [Fact]
    public void Json_tagged_bytes_are_refused_and_unbound_types_go_to_the_allow_listed_hyperion()
    {
        byte[] payload = System.Text.Encoding.UTF8.GetBytes("{\"$type\":\"System.IO.FileInfo, System.Private.CoreLib\",\"OriginalPath\":\"/etc/passwd\"}");
        var e = Assert.ThrowsAny<Exception>(() => Sys.Serialization.Deserialize(payload, 1, "System.IO.FileInfo, System.Private.CoreLib"));
        Assert.Contains("JSON-serialized messages are refused", e.ToString());
        Assert.IsType<AllowListHyperionSerializer>(Sys.Serialization.FindSerializerForType(typeof(Uri)));
    }
}
