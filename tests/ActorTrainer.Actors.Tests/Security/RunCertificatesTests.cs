using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ActorTrainer.Actors.Security;

namespace ActorTrainer.Actors.Tests.Security;

public sealed class RunCertificatesTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly TimeSpan Year = TimeSpan.FromDays(365);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"at-certs-{Guid.NewGuid():N}");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Create_writes_the_ca_and_one_certificate_per_node_that_the_run_accepts()
    {
        var written = RunCertificates.Create(_dir, ["ps", "worker-1"], ["127.0.0.1", "ps.local"], Now, Year);

        Assert.Equal(["ca.key.pfx", "ca.crt", "ps.pfx", "worker-1.pfx"], written);
        using var ps = NodeCredentials.Load(_dir, "ps");
        using var worker = NodeCredentials.Load(_dir, "worker-1");
        Assert.Equal("ps", ps.NodeName);
        Assert.Equal("worker-1", worker.NodeName);
        Assert.Null(ps.Verify(worker.Certificate));
        Assert.Null(worker.Verify(ps.Certificate));
        Assert.DoesNotContain(Directory.GetFiles(_dir), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void Private_keys_are_readable_by_their_owner_only()
    {
        if (OperatingSystem.IsWindows()) return; // no Unix modes there
        RunCertificates.Create(_dir, ["ps"], [], Now, Year);
        var secret = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(secret, File.GetUnixFileMode(Path.Combine(_dir, "ca.key.pfx")));
        Assert.Equal(secret, File.GetUnixFileMode(Path.Combine(_dir, "ps.pfx")));
    }

    [Fact]
    public void A_certificate_from_another_ca_or_self_signed_is_not_a_member()
    {
        RunCertificates.Create(_dir, ["ps"], [], Now, Year);
        using var ps = NodeCredentials.Load(_dir, "ps");
        using var otherCa = RunCertificates.CreateAuthority(Now, Year);
        using var foreign = RunCertificates.Issue(otherCa, "worker-1", [], Now, Year);
        using var key = ECDsa.Create();
        using var selfSigned = new CertificateRequest("CN=worker-1", key, HashAlgorithmName.SHA256).CreateSelfSigned(Now, Now.Add(Year));

        Assert.Contains("not issued by this run's CA", ps.Verify(foreign));
        Assert.Contains("not issued by this run's CA", ps.Verify(selfSigned));
        Assert.Equal("no certificate was presented", ps.Verify(null));
    }

    [Fact]
    public void A_certificate_of_the_run_ca_without_client_and_server_use_is_refused()
    {
        RunCertificates.Create(_dir, ["ps"], [], Now, Year);
        using var ps = NodeCredentials.Load(_dir, "ps");
        using var ca = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(_dir, "ca.key.pfx"), null);
        using var key = ECDsa.Create();
        var request = new CertificateRequest("CN=web", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var serverOnly = request.Create(ca, Now, Now.Add(Year), [1, 2, 3]);

        Assert.Equal("its certificate is not for TLS client and server use", ps.Verify(serverOnly));
    }

    [Fact]
    public void Adding_nodes_later_reuses_the_ca_and_never_overwrites_a_node()
    {
        RunCertificates.Create(_dir, ["ps"], [], Now, Year);
        string ca = File.ReadAllText(Path.Combine(_dir, "ca.crt"));

        Assert.Equal(["worker-2.pfx"], RunCertificates.Create(_dir, ["worker-2"], [], Now, Year));
        Assert.Equal(ca, File.ReadAllText(Path.Combine(_dir, "ca.crt")));
        using var ps = NodeCredentials.Load(_dir, "ps");
        using var late = NodeCredentials.Load(_dir, "worker-2");
        Assert.Null(ps.Verify(late.Certificate));
        byte[] before = File.ReadAllBytes(Path.Combine(_dir, "ps.pfx"));
        Assert.Throws<InvalidOperationException>(() => RunCertificates.Create(_dir, ["ps"], [], Now, Year));
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(_dir, "ps.pfx")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("../evil")]
    [InlineData("a b")]
    [InlineData(".hidden")]
    public void Node_names_that_are_not_plain_file_names_are_refused(string name) =>
        Assert.Throws<ArgumentException>(() => RunCertificates.Create(_dir, [name], [], Now, Year));

    [Fact]
    public void Loading_a_missing_node_names_the_file_and_how_to_make_it()
    {
        RunCertificates.Create(_dir, ["ps"], [], Now, Year);
        var e = Assert.Throws<InvalidDataException>(() => NodeCredentials.Load(_dir, "worker-9"));
        Assert.Contains("worker-9.pfx", e.Message);
        Assert.Contains("actortrainer certs", e.Message);
    }

    [Fact]
    public async Task Two_members_complete_a_mutual_tls_handshake_and_each_learns_the_others_name()
    {
        RunCertificates.Create(_dir, ["ps", "worker-1"], [], Now, Year);
        using var ps = NodeCredentials.Load(_dir, "ps");
        using var worker = NodeCredentials.Load(_dir, "worker-1");

        var (server, client) = await Handshake(ps, c => c!.ClientOptions("ps"), worker);

        Assert.Null(server.Error);
        Assert.Null(client.Error);
        Assert.Equal("worker-1", server.PeerName);
        Assert.Equal("ps", client.PeerName);
    }

    [Fact]
    public async Task A_client_without_a_certificate_or_with_a_foreign_one_is_refused_at_the_handshake()
    {
        RunCertificates.Create(_dir, ["ps"], [], Now, Year);
        using var ps = NodeCredentials.Load(_dir, "ps");
        string otherDir = _dir + "-other";
        try
        {
            RunCertificates.Create(otherDir, ["worker-1"], [], Now, Year);
            using var stranger = NodeCredentials.Load(otherDir, "worker-1");

            var (noCertServer, _) = await Handshake(ps, _ => new SslClientAuthenticationOptions
            {
                TargetHost = "ps", RemoteCertificateValidationCallback = (_, _, _, _) => true,
            }, null);
            var (foreignServer, foreignClient) = await Handshake(ps, c => c!.ClientOptions("ps"), stranger);

            Assert.NotNull(noCertServer.Error);
            Assert.NotNull(foreignServer.Error);
            Assert.NotNull(foreignClient.Error); // and the stranger does not trust the run's server either
        }
        finally { Directory.Delete(otherDir, recursive: true); }
    }

    private sealed record Side(string? PeerName, Exception? Error);

    private static async Task<(Side Server, Side Client)> Handshake(NodeCredentials server, Func<NodeCredentials?, SslClientAuthenticationOptions> clientOptions, NodeCredentials? client)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // a hang guard, not a speed check

        async Task<Side> Serve()
        {
            using var socket = await listener.AcceptTcpClientAsync(timeout.Token);
            await using var tls = new SslStream(socket.GetStream());
            try
            {
                await tls.AuthenticateAsServerAsync(server.ServerOptions(), timeout.Token);
                await tls.WriteAsync(new byte[] { 1 }, timeout.Token);
                return new Side(tls.RemoteCertificate is X509Certificate2 c ? NodeCredentials.NameOf(c) : null, null);
            }
            catch (Exception e) when (e is AuthenticationException or IOException) { return new Side(null, e); }
        }

        async Task<Side> Connect()
        {
            using var socket = new TcpClient();
            await socket.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            await using var tls = new SslStream(socket.GetStream());
            try
            {
                await tls.AuthenticateAsClientAsync(clientOptions(client), timeout.Token);
                var one = new byte[1];
                int n = await tls.ReadAsync(one, timeout.Token); // TLS 1.3 reports a refused client certificate here
                if (n == 0) throw new IOException("the server closed the connection");
                return new Side(tls.RemoteCertificate is X509Certificate2 c ? NodeCredentials.NameOf(c) : null, null);
            }
            catch (Exception e) when (e is AuthenticationException or IOException) { return new Side(null, e); }
        }

        var serving = Serve();
        var connecting = Connect();
        return (await serving, await connecting);
    }
}
