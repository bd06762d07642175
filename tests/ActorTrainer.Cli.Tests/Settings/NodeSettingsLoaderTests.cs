using System.Collections;
using ActorTrainer.Actors.Cluster;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Settings;

namespace ActorTrainer.Cli.Tests.Settings;

/// <summary>Loads from the hocon/ files shipped next to the binary (copied into the test's output).</summary>
public class NodeSettingsLoaderTests
{
    /// <summary>Loads as a plaintext node (these tests are about the other settings; NodeSecuritySettingsTests covers TLS).</summary>
    private static NodeSettings Load(string[] args, IDictionary? env = null)
    {
        var flags = new Dictionary<string, string> { ["insecure"] = "on" };
        for (int i = 0; i < args.Length; i += 2) flags[args[i].TrimStart('-')] = args[i + 1];
        var (s, _) = NodeSettingsLoader.Load(flags, env ?? new Hashtable());
        return s;
    }

    [Fact]
    public void The_role_file_sets_the_port_ps_on_the_well_known_port_worker_on_any()
    {
        Assert.Equal(4053, Load(["--role", "ps"]).Port);
        Assert.Equal(0, Load(["--role", "worker", "--seeds", "127.0.0.1:4053"]).Port);
    }

    [Fact]
    public void The_tensor_channel_port_comes_from_the_ps_role_file_and_local_conf_lets_the_system_pick_it()
    {
        Assert.Equal(4054, Load(["--role", "ps"]).TensorPort);
        Assert.Equal(0, Load(["--role", "ps", "--config", Path.Combine(NodeSettingsLoader.DefaultHoconDirectory, "local.conf")]).TensorPort);
        Assert.Equal(4200, Load(["--role", "ps"], new Hashtable { ["ACTORTRAINER_TENSOR_PORT"] = "4200" }).TensorPort); // env over the file
        Assert.Equal(4100, Load(["--role", "ps", "--tensor-port", "4100"], new Hashtable { ["ACTORTRAINER_TENSOR_PORT"] = "4200" }).TensorPort);
    }

    [Fact]
    public void Defaults_come_from_cluster_conf()
    {
        var s = Load(["--role", "ps"]);
        Assert.Equal(NodeRole.Ps, s.Role);
        Assert.Equal("", s.Hostname);
        Assert.Equal("0.0.0.0", s.BindHostname);
        Assert.Empty(s.Seeds);
        Assert.Equal(TimeSpan.FromSeconds(30), s.JoinTimeout);
        Assert.Equal(0, s.WorkersPerNode);
    }

    [Fact]
    public void Local_conf_puts_every_node_on_loopback_with_the_ps_as_seed()
    {
        var s = Load(["--role", "worker", "--config", Path.Combine(NodeSettingsLoader.DefaultHoconDirectory, "local.conf")]);
        Assert.Equal("127.0.0.1", s.Hostname);
        Assert.Equal("127.0.0.1", s.BindHostname);
        Assert.Equal(["127.0.0.1:4053"], s.Seeds);
    }

    [Fact]
    public void Flags_override_environment_which_overrides_config_files_which_override_the_role_file()
    {
        string file = Path.Combine(Path.GetTempPath(), $"at-{Guid.NewGuid():N}.conf");
        File.WriteAllText(file, "actortrainer.node { port = 5000, hostname = from-file, join-timeout = 7s, workers-per-node = 3 }");
        try
        {
            var env = new Hashtable
            {
                ["ACTORTRAINER_ROLE"] = "worker", ["ACTORTRAINER_PORT"] = "6000", ["ACTORTRAINER_SEEDS"] = "ps-0.ps:4053, ps-1.ps:4053",
                ["ACTORTRAINER_JOIN_TIMEOUT"] = "500ms",
            };
            var s = Load(["--config", file, "--port", "7000"], env);
            Assert.Equal(NodeRole.Worker, s.Role);            // env
            Assert.Equal("from-file", s.Hostname);              // file beats cluster.conf
            Assert.Equal(7000, s.Port);                         // flag beats env beats file beats worker.conf
            Assert.Equal(["ps-0.ps:4053", "ps-1.ps:4053"], s.Seeds); // env list, comma-separated
            Assert.Equal(TimeSpan.FromMilliseconds(500), s.JoinTimeout); // env beats file
            Assert.Equal(3, s.WorkersPerNode);                  // file
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void The_role_flag_picks_the_role_file_even_when_a_config_file_says_otherwise()
    {
        string file = Path.Combine(Path.GetTempPath(), $"at-{Guid.NewGuid():N}.conf");
        File.WriteAllText(file, "actortrainer.node.role = worker");
        try { Assert.Equal(4053, Load(["--config", file, "--role", "ps"]).Port); }
        finally { File.Delete(file); }
    }

    [Theory]
    [InlineData("--role", "boss", "unknown role 'boss'")]
    [InlineData("--port", "http", "--port: 'http' is not an integer")]
    [InlineData("--port", "70000", "--port must be in [0, 65535]")]
    [InlineData("--tensor-port", "-1", "--tensor-port must be in [0, 65535] (got -1); the tensor channel cannot be turned off")]
    [InlineData("--join-timeout", "soon", "--join-timeout: 'soon' is not a duration")]
    [InlineData("--join-timeout", "0s", "--join-timeout must be positive")]
    [InlineData("--handshake-timeout", "0s", "--handshake-timeout must be positive")]
    [InlineData("--seeds", "akka.tcp://other@h:1", "actor system 'other'")]
    public void Bad_values_name_their_source(string flag, string value, string expected)
    {
        string[] args = flag == "--role" ? [flag, value] : ["--role", "ps", flag, value];
        var e = Assert.Throws<UsageException>(() => Load(args));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_worker_without_seeds_is_refused_before_it_starts() =>
        Assert.Contains("needs seed nodes", Assert.Throws<UsageException>(() => Load(["--role", "worker"])).Message);

    [Fact]
    public void A_missing_hocon_directory_is_named()
    {
        var e = Assert.Throws<UsageException>(() => NodeSettingsLoader.Load(new Dictionary<string, string> { ["role"] = "ps" }, new Hashtable(), "/nonexistent/hocon"));
        Assert.Contains("/nonexistent/hocon/cluster.conf", e.Message);
    }
}
