using ActorTrainer.Core.Checkpoints;

namespace ActorTrainer.Cli.Tests.Training;

/// <summary>`train --shards N`: W and the optimizer state split across N server actors.</summary>
public sealed class ShardedTrainTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "at-shards-" + Guid.NewGuid().ToString("N"));

    public ShardedTrainTests() => Directory.CreateDirectory(_root);
    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    private static readonly string[] Small =
    [
        "train", "--hidden", "16", "--batch", "3", "--chunk", "8", "--workers", "2", "--mode", "sync", "--optimizer", "adam",
        "--updates", "30", "--eval-every", "10", "--checkpoint-every", "10", "--progress", "off", "--sample", "0", "--seed", "5",
    ];

    private async Task<string> Train(string name, params string[] extra)
    {
        string dir = Path.Combine(_root, name);
        var o = new StringWriter(); var e = new StringWriter();
        int code = await Cli.RunAsync([.. Small, .. extra, "--out", dir], o, e);
        Assert.True(code == 0, e.ToString());
        return dir;
    }

    [Fact]
    public async Task Sync_training_with_three_shards_writes_the_same_model_and_optimizer_state_as_one_server()
    {
        string one = await Train("one"), three = await Train("three", "--shards", "3");
        var m1 = SafetensorsFile.Read(Path.Combine(one, "model.safetensors"));
        var m3 = SafetensorsFile.Read(Path.Combine(three, "model.safetensors"));
        foreach (var t in m1.Tensors) Assert.Equal(t.Data, m3[t.Name].Data); // bit-identical W (the metadata records the shard count)
        var a = SafetensorsFile.Read(Path.Combine(one, "state.safetensors"));
        var b = SafetensorsFile.Read(Path.Combine(three, "state.safetensors"));
        var optimizer = a.Tensors.Where(t => t.Name.StartsWith("optimizer.", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(optimizer); // adam's m and v, gathered back from the shards
        foreach (var t in optimizer) Assert.Equal(t.Data, b[t.Name].Data);
        Assert.Equal(a.Metadata["optimizer.step_count"], b.Metadata["optimizer.step_count"]);
    }

    [Fact]
    public async Task Shard_count_must_be_positive()
    {
        var o = new StringWriter(); var e = new StringWriter();
        Assert.Equal(2, await Cli.RunAsync([.. Small, "--shards", "0", "--out", Path.Combine(_root, "bad")], o, e));
        Assert.Contains("--shards must be a positive integer", e.ToString());
    }
}
