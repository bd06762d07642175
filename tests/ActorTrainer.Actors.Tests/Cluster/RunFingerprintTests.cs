using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.ParameterServer;

namespace ActorTrainer.Actors.Tests.Cluster;

public class RunFingerprintTests
{
    private static readonly RunFingerprint Server = new(
        new ModelFingerprint(4111, "V=47,H=32,O=47,phi=Tanh,loss=SoftmaxCrossEntropy"), "[\"a\",\"b\",\"😀\"]", 1000, 8, 25,
        "truncation=subsequence,mode=sync,staleness=2,clip-norm=5,clip-value=none", 33_554_432);

    [Fact]
    public void An_identical_fingerprint_matches() => Assert.Null((Server with { }).MismatchWith(Server));

    [Fact]
    public void A_different_model_is_named_with_both_shapes()
    {
        var worker = Server with { Model = new ModelFingerprint(2903, "V=47,H=24,O=47,phi=Tanh,loss=SoftmaxCrossEntropy") };
        string reason = worker.MismatchWith(Server)!;
        Assert.StartsWith("model mismatch", reason);
        Assert.Contains("H=24", reason);
        Assert.Contains("H=32", reason);
    }

    [Fact]
    public void A_vocabulary_of_the_same_size_but_other_symbols_is_refused()
    {
        string reason = (Server with { Vocabulary = "[\"a\",\"b\",\"😁\"]" }).MismatchWith(Server)!;
        Assert.StartsWith("vocabulary mismatch", reason);
        Assert.Contains("token 2", reason);
        Assert.Contains("worker has 3 symbols", reason);   // symbols, not characters of the JSON text
    }

    [Theory]
    [InlineData("corpus mismatch")]
    [InlineData("batch mismatch")]
    [InlineData("chunk mismatch")]
    [InlineData("training mismatch")]
    [InlineData("transport mismatch")]
    public void Every_other_field_is_checked(string expected)
    {
        var worker = expected switch
        {
            "corpus mismatch" => Server with { TrainTokens = 999 },
            "batch mismatch" => Server with { StreamsPerWorker = 16 },
            "chunk mismatch" => Server with { ChunkLength = 50 },
            "training mismatch" => Server with { Training = "truncation=k,mode=sync,staleness=2,clip-norm=5,clip-value=none" },
            _ => Server with { MaxFrameSize = 128_000 },
        };
        Assert.StartsWith(expected, worker.MismatchWith(Server));
    }
}
