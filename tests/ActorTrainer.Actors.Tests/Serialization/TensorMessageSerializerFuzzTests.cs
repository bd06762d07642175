using System.Runtime.Serialization;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.Serialization;
using ActorTrainer.Actors.TensorChannel;
using ActorTrainer.Actors.Tests.TensorChannel;
using ActorTrainer.Tests.Fuzzing;
using Akka.Actor;
using Akka.TestKit.Xunit2;

namespace ActorTrainer.Actors.Tests.Serialization;

/// <summary>TensorMessageSerializer on 100,000 random and mutated messages: SerializationException or a
/// message, and never an allocation beyond what the message's own length allows.</summary>
public sealed class TensorMessageSerializerFuzzTests() : TestKit(TestHocon.Config)
{
    private static readonly string[] Manifests =
    [
        TensorMessageSerializer.PushGradientManifest, TensorMessageSerializer.WeightsPublishedManifest,
        TensorMessageSerializer.WorkerRegisteredManifest, TensorMessageSerializer.TensorPartManifest,
    ];

    [Fact]
    public void Mutated_and_random_messages_are_refused_with_SerializationException_and_allocate_at_most_twice_their_size()
    {
        var serializer = new TensorMessageSerializer((ExtendedActorSystem)Sys);
        float[] g = Enumerable.Range(0, 16).Select(i => i * 0.25f).ToArray();
        var push = new PushGradient(3, 7, 11, g, 1.5f, 2.5, true, 40);
        var messages = new object[]
        {
            push, new WeightsPublished(9, 8, g), new WorkerRegistered(2, 5, g),
            new TensorPart(42, 0, 2, 0, 32, push with { Gradient = [] }, g), new TensorPart(42, 1, 2, 16, 32, null, g),
        };
        // Offsets of the length/count fields: a tensor message is its channel frame; a part's header
        // fields, then its head frame's (after the 29-byte part header) and the part's own N.
        int[] Frame(ITrainerMessage m) => ChannelFrameFuzzTests.LengthFields(new MessageFrame(m is PushGradient p ? new SlotPush(0, p) : m));
        var seeds = messages.Select(m => (serializer.ToBinary(m), m switch
        {
            TensorPart { Head: null } => new[] { 8, 12, 16, 20, 25, 29 },
            TensorPart { Head: { } head } => [8, 12, 16, 20, 25, .. Frame(head).Select(o => 29 + o)],
            _ => Frame((ITrainerMessage)m),
        })).ToList();
        foreach (var m in messages) serializer.FromBinary(serializer.ToBinary(m), serializer.Manifest(m)); // warm up

        var rng = new Random(7);
        int refused = 0, read = 0;
        foreach (var input in FuzzInputs.Generate(seeds, count: 100_000, seed: 20261204))
        {
            string manifest = rng.Next(50) == 0 ? "XX1" : Manifests[rng.Next(Manifests.Length)];
            long allocated = FuzzInputs.Allocated(() =>
            {
                try { serializer.FromBinary(input, manifest); read++; }
                catch (SerializationException) { refused++; }
            });
            // The floats are copied out once (≤ the message's length), a part's head once more; 16 KiB
            // covers the fixed cost (the message records, an exception and its message).
            Assert.True(allocated <= 2L * input.Length + 16384,
                $"{manifest} of {input.Length} bytes allocated {allocated} bytes: {Convert.ToHexString(input.AsSpan(0, Math.Min(64, input.Length)))}");
        }
        Assert.Equal(100_000, refused + read);
        Assert.True(refused > 50_000 && read > 0, $"{refused} refused, {read} read");
    }
}
