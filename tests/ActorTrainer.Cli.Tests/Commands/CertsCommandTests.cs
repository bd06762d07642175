using ActorTrainer.Actors.Security;

namespace ActorTrainer.Cli.Tests.Commands;

/// <summary>`actortrainer certs`: the run's CA and node certificates, and one error line for bad input.</summary>
public sealed class CertsCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"at-certs-cmd-{Guid.NewGuid():N}");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    [Fact]
    public void By_default_it_makes_the_ca_and_certificates_for_ps_and_two_workers_that_trust_each_other()
    {
        var r = CliHarness.RunOk("certs", "--out", _dir);

        Assert.Equal(["ca.key.pfx", "ca.crt", "ps.pfx", "worker-1.pfx", "worker-2.pfx"],
            r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Path.GetFileName));
        using var ps = NodeCredentials.Load(_dir, "ps");
        using var worker = NodeCredentials.Load(_dir, "worker-2");
        Assert.Null(ps.Verify(worker.Certificate));
        Assert.Contains("keep ca.key.pfx off the nodes", r.Err);
    }

    [Fact]
    public void Nodes_hosts_and_days_are_applied_and_a_second_call_adds_nodes_under_the_same_ca()
    {
        CliHarness.RunOk("certs", "--out", _dir, "--nodes", "ps", "--hosts", "10.0.0.5,ps.example", "--days", "2");
        CliHarness.RunOk("certs", "--out", _dir, "--nodes", "worker-9");

        using var ps = NodeCredentials.Load(_dir, "ps");
        using var late = NodeCredentials.Load(_dir, "worker-9");
        Assert.Null(ps.Verify(late.Certificate));
        Assert.True(ps.Certificate.MatchesHostname("ps.example"));
        Assert.True(ps.Certificate.MatchesHostname("10.0.0.5"));
        Assert.InRange(ps.Certificate.NotAfter - DateTime.Now, TimeSpan.FromDays(1.9), TimeSpan.FromDays(2));
    }

    [Theory]
    [InlineData(new[] { "--nodes", "ps,../evil" }, "not a node name")]
    [InlineData(new[] { "--days", "0" }, "--days")]
    [InlineData(new[] { "--colour", "red" }, "unknown option --colour")]
    public void Bad_input_is_one_error_line_with_exit_2_and_nothing_written(string[] args, string expected)
    {
        var r = CliHarness.Run(["certs", "--out", _dir, .. args]);

        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error: ", Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Contains(expected, r.Err);
        Assert.False(Directory.Exists(_dir));
    }

    [Fact]
    public void An_existing_node_certificate_is_never_overwritten()
    {
        CliHarness.RunOk("certs", "--out", _dir, "--nodes", "ps");
        byte[] before = File.ReadAllBytes(Path.Combine(_dir, "ps.pfx"));

        var r = CliHarness.Run("certs", "--out", _dir, "--nodes", "ps");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("ps.pfx exists already", r.Err);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(_dir, "ps.pfx")));
    }

    [Fact]
    public void Without_out_it_says_what_is_missing()
    {
        var r = CliHarness.Run("certs");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("certs needs --out DIR", r.Err);
    }
}
