using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.Hosting;
using Akka.Configuration;

namespace ActorTrainer.Actors.Tests.Cluster;

public class ClusterNodeTests
{
    /// <summary>The repository's hocon/ directory (walking up from the test's base directory).</summary>
    private static string HoconDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "hocon", "cluster.conf");
            if (File.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "ActorTrainer.sln"))) return Path.GetDirectoryName(candidate)!;
        }
        throw new InvalidOperationException($"hocon/cluster.conf not found above {AppContext.BaseDirectory}");
    }

    private static Config ClusterConf() => ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(HoconDirectory(), "cluster.conf")));

    [Fact]
    public void Node_settings_are_applied_over_the_files_in_code()
    {
        var node = new NodeSettings { Role = NodeRole.Ps, Hostname = "ps-0.ps", BindHostname = "0.0.0.0", Port = 4053, HandshakeTimeout = TimeSpan.FromSeconds(2.5) };
        var config = ClusterNode.ActorSystemConfig(node, ClusterConf());
        // Akka.Remote takes its handshake timeout from DotNetty's connection-timeout (AkkaProtocolSettings)
        Assert.Equal(TimeSpan.FromSeconds(2.5), config.GetTimeSpan("akka.remote.dot-netty.tcp.connection-timeout"));
        Assert.Equal("ps-0.ps", config.GetString("akka.remote.dot-netty.tcp.public-hostname"));
        Assert.Equal("0.0.0.0", config.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal(4053, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["ps"], config.GetStringList("akka.cluster.roles"));
        Assert.Equal("cluster", config.GetString("akka.actor.provider"));
    }

    [Fact]
    public void Cluster_conf_binds_the_same_serializers_and_dispatchers_as_the_in_process_hocon()
    {
        var cluster = ClusterConf();
        var inProcess = TrainerHocon.Config;
        foreach (var path in new[]
                 {
                     "akka.actor.serializers.hyperion", "akka.actor.serializers.actortrainer-tensor",
                     "actortrainer.compute-dispatcher.type", "actortrainer.compute-dispatcher.throughput",
                     "actortrainer.server-dispatcher.type", "actortrainer.server-dispatcher.throughput",
                 })
            Assert.Equal(inProcess.GetString(path), cluster.GetString(path));
        var bindings = inProcess.GetConfig("akka.actor.serialization-bindings").AsEnumerable().ToList();
        Assert.NotEmpty(bindings);
        foreach (var (type, value) in bindings)
            Assert.Equal(value.GetString(), cluster.GetConfig("akka.actor.serialization-bindings").GetString($"\"{type}\""));
        Assert.True(cluster.GetBoolean("akka.actor.serialization-settings.hyperion.disallow-unsafe-type"));
    }

    [Theory]
    [InlineData("127.0.0.1:4053", null)]
    [InlineData("akka.ssl.tcp://actortrainer@ps-0.ps:4053", null)]
    [InlineData("akka.ssl.tcp://other@ps:4053", "actor system 'other'")]
    [InlineData("ps-without-port", "host and a port")]
    public void Seeds_are_host_port_or_full_addresses_of_the_trainer_system(string seed, string? problem)
    {
        var node = new NodeSettings { Seeds = [seed], Certs = "/certs" };
        if (problem is null)
        {
            Assert.Null(node.Validate());
            Assert.Equal("actortrainer", node.SeedAddresses()[0].System);
        }
        else Assert.Contains(problem, node.Validate());
    }

    [Fact]
    public void A_worker_without_seeds_is_told_how_to_give_them() =>
        Assert.Contains("--seeds", new NodeSettings { Role = NodeRole.Worker, Insecure = true }.Validate());
}
