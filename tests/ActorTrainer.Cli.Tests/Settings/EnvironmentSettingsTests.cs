using System.Collections;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Settings;

namespace ActorTrainer.Cli.Tests.Settings;

public sealed class EnvironmentSettingsTests
{
    [Fact]
    public void An_unknown_ACTORTRAINER_variable_is_an_error_naming_the_nearest_setting()
    {
        var env = new Hashtable { ["ACTORTRAINER_HIDEN"] = "32" };
        var e = Assert.Throws<UsageException>(() => TrainSettingsLoader.Load(new Dictionary<string, string>(), env));
        Assert.Contains("ACTORTRAINER_HIDEN", e.Message);
        Assert.Contains("did you mean ACTORTRAINER_HIDDEN?", e.Message);
        // the node loader reads the same layer: the same rule
        var n = Assert.Throws<UsageException>(() => NodeSettingsLoader.Load(new Dictionary<string, string> { ["role"] = "ps" }, new Hashtable { ["ACTORTRAINER_JOIN_TIMOUT"] = "9s" }));
        Assert.Contains("did you mean ACTORTRAINER_JOIN_TIMEOUT?", n.Message);
    }

    [Fact]
    public void Train_and_node_variables_are_both_accepted_by_either_loader()
    {
        // one environment serves every role (deploy/k8s sets both kinds in one ConfigMap)
        var env = new Hashtable { ["ACTORTRAINER_HIDDEN"] = "8", ["ACTORTRAINER_SEEDS"] = "127.0.0.1:4053", ["PATH"] = "/bin", ["ACTORTRAINERX"] = "1" };
        Assert.Equal(8, TrainSettingsLoader.Load(new Dictionary<string, string>(), env).Hidden);
        Assert.Equal(["127.0.0.1:4053"], NodeSettingsLoader.Load(new Dictionary<string, string> { ["role"] = "worker", ["insecure"] = "on" }, env).Settings.Seeds);
    }

    [Theory]
    [InlineData("", "", 0)]
    [InlineData("abc", "abc", 0)]
    [InlineData("HIDEN", "HIDDEN", 1)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    public void Distance_counts_insertions_deletions_and_substitutions(string a, string b, int expected)
    {
        Assert.Equal(expected, EnvironmentSettings.Distance(a, b));
        Assert.Equal(expected, EnvironmentSettings.Distance(b, a));
    }
}
