using System.Collections;
using ActorTrainer.Actors.Cluster;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Settings;

namespace ActorTrainer.Cli.Tests.Settings;

/// <summary>The transport security rules of a node's settings: TLS unless plaintext is asked for by name.</summary>
public class NodeSecuritySettingsTests
{
    /// <summary>Parses <paramref name="args"/> with the node's option table, as `actortrainer node` does.</summary>
    private static NodeSettings Load(string[] args, IDictionary? env = null)
    {
        var options = NodeSettingsLoader.CreateOptions();
        var command = new System.CommandLine.Command("node");
        foreach (var o in options) command.Options.Add(o);
        var parsed = command.Parse(args);
        Assert.Empty(parsed.Errors);
        return NodeSettingsLoader.Load(TrainSettingsLoader.Given(parsed, options), env ?? new Hashtable()).Settings;
    }

    private static string Problem(string[] args, IDictionary? env = null) =>
        Assert.Throws<UsageException>(() => Load(args, env)).Message;

    [Fact]
    public void A_node_with_neither_certificates_nor_insecure_is_told_how_to_make_them()
    {
        string problem = Problem(["--role", "ps"]);
        Assert.Contains("actortrainer certs --out DIR", problem);
        Assert.Contains("--certs DIR --node-name NAME", problem);
        Assert.Contains("--insecure", problem);
    }

    [Fact]
    public void Certificates_and_node_name_come_through_the_layers_and_make_the_transport_tls()
    {
        var env = new Hashtable { ["ACTORTRAINER_CERTS"] = "/run/certs", ["ACTORTRAINER_NODE_NAME"] = "from-env" };
        var s = Load(["--role", "worker", "--seeds", "10.0.0.1:4053", "--node-name", "worker-7"], env);
        Assert.Equal("/run/certs", s.Certs);
        Assert.Equal("worker-7", s.NodeName); // the flag wins over the environment
        Assert.False(s.Insecure);
        Assert.Equal("akka.ssl.tcp", s.SeedAddresses()[0].Protocol);
    }

    [Fact]
    public void The_node_name_defaults_to_the_host_name() =>
        Assert.Equal(System.Net.Dns.GetHostName(), Load(["--role", "ps", "--certs", "/c"]).EffectiveNodeName);

    [Theory]
    [InlineData("--insecure")]
    [InlineData("--insecure=on")]
    [InlineData("--insecure on")]
    public void Insecure_is_plaintext_akka_tcp(string flag)
    {
        var s = Load(["--role", "worker", "--seeds", "10.0.0.1:4053", .. flag.Split(' ')]);
        Assert.True(s.Insecure);
        Assert.Equal("akka.tcp", s.SeedAddresses()[0].Protocol);
    }

    [Fact]
    public void Insecure_can_come_from_the_environment_and_a_bad_value_names_it()
    {
        Assert.True(Load(["--role", "ps"], new Hashtable { ["ACTORTRAINER_INSECURE"] = "true" }).Insecure);
        Assert.Contains("ACTORTRAINER_INSECURE: 'maybe' is not on/off", Problem(["--role", "ps"], new Hashtable { ["ACTORTRAINER_INSECURE"] = "maybe" }));
    }

    [Fact]
    public void Certificates_and_insecure_together_contradict_each_other() =>
        Assert.Contains("contradict", Problem(["--role", "ps", "--certs", "/c", "--insecure"]));

    [Fact]
    public void A_node_name_that_cannot_be_a_certificate_file_is_refused() =>
        Assert.Contains("--node-name: '../ps' is not a node name", Problem(["--role", "ps", "--certs", "/c", "--node-name", "../ps"]));

    [Theory]
    [InlineData("akka.tcp://actortrainer@10.0.0.1:4053", false, "this node speaks akka.ssl.tcp://")]
    [InlineData("akka.ssl.tcp://actortrainer@10.0.0.1:4053", true, "this node speaks akka.tcp://")]
    public void A_full_seed_address_must_match_the_node_s_transport(string seed, bool insecure, string expected)
    {
        string[] security = insecure ? ["--insecure"] : ["--certs", "/c"];
        Assert.Contains(expected, Problem(["--role", "worker", "--seeds", seed, .. security]));
        Assert.Equal(seed, Load(["--role", "worker", "--seeds", seed, .. insecure ? new[] { "--certs", "/c" } : ["--insecure"]]).SeedAddresses()[0].ToString());
    }
}
