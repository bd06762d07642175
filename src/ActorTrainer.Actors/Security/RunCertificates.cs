using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ActorTrainer.Actors.Security;

/// <summary>
/// The run's certificate authority and its node certificates, made with .NET's own
/// <see cref="CertificateRequest"/> (no openssl). One directory holds:
/// <list type="bullet">
/// <item><c>ca.crt</c> — the CA certificate (PEM): the only root every node trusts;</item>
/// <item><c>ca.key.pfx</c> — the CA with its private key (PKCS#12), needed only to add nodes: keep it off the nodes;</item>
/// <item><c>NAME.pfx</c> — node NAME's certificate and key (PKCS#12, no password), CN=NAME, usable as
/// TLS server and client, with the given DNS names and IP addresses as subject alternative names.</item>
/// </list>
/// Keys are ECDSA P-256: a handshake costs little and key generation is instant.
/// </summary>
public static class RunCertificates
{
    public const string CaCertificateFile = "ca.crt";
    public const string CaKeyFile = "ca.key.pfx";

    /// <summary>A node certificate's file name in the directory.</summary>
    public static string NodeFile(string node) => $"{node}.pfx";

    /// <summary>
    /// Makes (or, when <paramref name="directory"/> already holds a CA, reuses) the run's CA and issues a
    /// certificate for each of <paramref name="nodes"/>, valid from <paramref name="now"/> for
    /// <paramref name="validity"/>. Existing node files are not overwritten. Returns the files written.
    /// </summary>
    public static IReadOnlyList<string> Create(string directory, IReadOnlyList<string> nodes, IReadOnlyList<string> alternativeNames, DateTimeOffset now, TimeSpan validity)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        foreach (var node in nodes) CheckNodeName(node);
        if (nodes.Distinct(StringComparer.Ordinal).Count() != nodes.Count) throw new ArgumentException("a node name is given twice");
        foreach (var node in nodes)
            if (File.Exists(Path.Combine(directory, NodeFile(node))))
                throw new InvalidOperationException($"{Path.Combine(directory, NodeFile(node))} exists already: remove it to issue a new certificate for '{node}'");

        Directory.CreateDirectory(directory);
        var written = new List<string>();
        string caKeyPath = Path.Combine(directory, CaKeyFile);
        using var ca = File.Exists(caKeyPath)
            ? X509CertificateLoader.LoadPkcs12FromFile(caKeyPath, null, X509KeyStorageFlags.Exportable)
            : CreateAuthority(now, validity);
        if (!File.Exists(caKeyPath))
        {
            WriteSecret(caKeyPath, ca.Export(X509ContentType.Pkcs12));
            WriteAtomically(Path.Combine(directory, CaCertificateFile), System.Text.Encoding.ASCII.GetBytes(ca.ExportCertificatePem() + "\n"));
            written.Add(CaKeyFile);
            written.Add(CaCertificateFile);
        }
        foreach (var node in nodes)
        {
            using var cert = Issue(ca, node, alternativeNames, now, validity);
            WriteSecret(Path.Combine(directory, NodeFile(node)), cert.Export(X509ContentType.Pkcs12));
            written.Add(NodeFile(node));
        }
        return written;
    }

    /// <summary>A self-signed CA certificate with its key.</summary>
    public static X509Certificate2 CreateAuthority(DateTimeOffset now, TimeSpan validity)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=ActorTrainer run CA {Guid.NewGuid():N}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now.AddMinutes(-5), now.Add(validity));
    }

    /// <summary>Node <paramref name="node"/>'s certificate with its key, signed by <paramref name="ca"/>.</summary>
    public static X509Certificate2 Issue(X509Certificate2 ca, string node, IEnumerable<string> alternativeNames, DateTimeOffset now, TimeSpan validity)
    {
        ArgumentNullException.ThrowIfNull(ca);
        CheckNodeName(node);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={node}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false)); // TLS server and client: every node is both
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(node);
        foreach (var name in alternativeNames)
        {
            if (IPAddress.TryParse(name, out var ip)) san.AddIpAddress(ip);
            else san.AddDnsName(name);
        }
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7f; // a positive serial number
        var notAfter = now.Add(validity) < ca.NotAfter ? now.Add(validity) : new DateTimeOffset(ca.NotAfter);
        using var signed = request.Create(ca, now.AddMinutes(-5), notAfter, serial);
        return signed.CopyWithPrivateKey(key);
    }

    /// <summary>Node names become file names and certificate subjects: letters, digits, '-', '_' and '.' only.</summary>
    public static void CheckNodeName(string node)
    {
        if (NodeNameProblem(node) is { } problem) throw new ArgumentException(problem);
    }

    /// <summary>Null when <paramref name="node"/> is a valid node name; otherwise why not.</summary>
    public static string? NodeNameProblem(string node) =>
        string.IsNullOrEmpty(node) || node.Length > 64 || node.StartsWith('.') || !node.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? $"'{node}' is not a node name: use 1–64 letters, digits, '-', '_' or '.', not starting with '.'"
            : null;

    private static void WriteSecret(string path, byte[] bytes) => WriteAtomically(path, bytes, UnixFileMode.UserRead | UnixFileMode.UserWrite);

    private static void WriteAtomically(string path, byte[] bytes, UnixFileMode? mode = null)
    {
        string tmp = path + ".tmp";
        File.Delete(tmp); // a leftover from an interrupted run
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = mode ?? (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            using (var stream = new FileStream(tmp, options)) stream.Write(bytes);
            File.Move(tmp, path, overwrite: false);
        }
        finally { File.Delete(tmp); }
    }
}
