using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorTrainer.Actors.Security;

/// <summary>
/// What one node proves and trusts: its own certificate (with key) and the run's CA, the only root it
/// accepts. A peer is a member when its certificate chains to that CA (the machine's trust store plays
/// no part) and is meant for TLS client and server use; its node name is the certificate's CN.
/// </summary>
public sealed class NodeCredentials : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    public X509Certificate2 Certificate { get; }
    public X509Certificate2 Authority { get; }

    /// <summary>This node's name: its certificate's CN.</summary>
    public string NodeName => NameOf(Certificate);

    public NodeCredentials(X509Certificate2 certificate, X509Certificate2 authority)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(authority);
        if (!certificate.HasPrivateKey) throw new ArgumentException("the node certificate has no private key");
        Certificate = certificate;
        Authority = authority;
        string? problem = Verify(certificate);
        if (problem is not null) throw new CryptographicException($"this node's own certificate is not valid for the run: {problem}");
    }

    /// <summary>
    /// Loads <c>DIR/ca.crt</c> and <c>DIR/NODE.pfx</c> (see <see cref="RunCertificates"/>). A missing or
    /// unreadable file, or a node certificate the CA did not issue, is an <see cref="InvalidDataException"/>
    /// naming the file.
    /// </summary>
    public static NodeCredentials Load(string directory, string node)
    {
        string caPath = Path.Combine(directory, RunCertificates.CaCertificateFile);
        string nodePath = Path.Combine(directory, RunCertificates.NodeFile(node));
        X509Certificate2 authority, certificate;
        try { authority = X509CertificateLoader.LoadCertificateFromFile(caPath); }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        { throw new InvalidDataException($"cannot read the run's CA certificate {caPath}: {e.Message} (make one with `actortrainer certs --out {directory}`)", e); }
        try { certificate = X509CertificateLoader.LoadPkcs12FromFile(nodePath, null); }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            authority.Dispose();
            throw new InvalidDataException($"cannot read node '{node}''s certificate {nodePath}: {e.Message} (issue one with `actortrainer certs --out {directory} --nodes {node}`)", e);
        }
        try { return new NodeCredentials(certificate, authority); }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            certificate.Dispose();
            authority.Dispose();
            throw new InvalidDataException($"{nodePath}: {e.Message}", e);
        }
    }

    /// <summary>Null when <paramref name="peer"/> is a member's certificate; otherwise why not, in a phrase.</summary>
    public string? Verify(X509Certificate2? peer)
    {
        if (peer is null) return "no certificate was presented";
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // one run's CA publishes no revocation list
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (!chain.Build(peer))
            return "its certificate was not issued by this run's CA (" +
                   string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct()) + ")";
        var root = chain.ChainElements[^1].Certificate;
        if (!root.RawDataMemory.Span.SequenceEqual(Authority.RawDataMemory.Span)) return "its certificate chains to another root";
        var usages = peer.Extensions.OfType<X509EnhancedKeyUsageExtension>().SelectMany(e => e.EnhancedKeyUsages.Cast<Oid>()).Select(o => o.Value).ToHashSet();
        if (!usages.Contains(ServerAuth.Value) || !usages.Contains(ClientAuth.Value)) return "its certificate is not for TLS client and server use";
        return NameOf(peer).Length == 0 ? "its certificate has no CN" : null;
    }

    /// <summary>A certificate's CN: the node name it was issued for.</summary>
    public static string NameOf(X509Certificate2 certificate) => certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false) ?? "";

    /// <summary>TLS options for the side that accepts connections: a client certificate is required and verified.</summary>
    public SslServerAuthenticationOptions ServerOptions() => new()
    {
        ServerCertificateContext = SslStreamCertificateContext.Create(Certificate, [], offline: true),
        ClientCertificateRequired = true,
        EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls13,
        CipherSuitesPolicy = Suites,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && Verify(AsCertificate2(cert)) is null,
    };

    /// <summary>TLS options for the side that connects: it presents this node's certificate and verifies the server's.</summary>
    public SslClientAuthenticationOptions ClientOptions(string targetHost) => new()
    {
        TargetHost = targetHost,
        ClientCertificateContext = SslStreamCertificateContext.Create(Certificate, [], offline: true),
        EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls13,
        CipherSuitesPolicy = Suites,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && Verify(AsCertificate2(cert)) is null,
    };

    private static CipherSuitesPolicy? Suites => OperatingSystem.IsWindows() ? null : Aes128Gcm();

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static CipherSuitesPolicy Aes128Gcm() => new([TlsCipherSuite.TLS_AES_128_GCM_SHA256]);

    private static X509Certificate2 AsCertificate2(X509Certificate cert) => cert as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(cert.GetRawCertData());

    public void Dispose()
    {
        Certificate.Dispose();
        Authority.Dispose();
    }
}
