using System.Globalization;
using ActorTrainer.Actors.Security;
using ActorTrainer.Cli.CommandLine;

namespace ActorTrainer.Cli.Commands;

/// <summary>
/// `actortrainer certs --out DIR [--nodes NAME,…] [--hosts H,…] [--days N]`: the run's CA and one
/// certificate per node (<see cref="RunCertificates"/>), for mutual TLS between cluster nodes. Run again
/// on the same DIR to add nodes: the CA there is reused, existing node files are never overwritten.
/// </summary>
internal static class CertsCommand
{
    public const string Help = """
        usage: actortrainer certs --out DIR [--nodes NAME,…] [--hosts H,…] [--days N]

        Makes the run's certificate authority (DIR/ca.crt, DIR/ca.key.pfx) and a certificate with key for
        each node (DIR/NAME.pfx), with .NET's own crypto (ECDSA P-256; no openssl needed). Start each node
        with --certs DIR --node-name NAME; it needs only ca.crt and its own NAME.pfx. Keep ca.key.pfx off the
        nodes: it only issues more certificates (run certs again on the same DIR with new --nodes).

          --out DIR          where to write (created if missing); required
          --nodes NAME,…     node names, one certificate each (ps,worker-1,worker-2)
          --hosts H,…        DNS names or IP addresses added to every node certificate (none)
          --days N           validity in days (365)
        """;

    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Contains("--help") || args.Contains("-h")) { stdout.WriteLine(Help); return Task.FromResult(0); }
        var list = new ArgList(args);
        string dir = list.Get("out") ?? throw new UsageException("certs needs --out DIR (the directory to write the CA and node certificates to)");
        var nodes = Names(list.Get("nodes") ?? "ps,worker-1,worker-2", "--nodes");
        var hosts = (list.Get("hosts") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int days = list.Int("days", 365, min: 1, max: 36500);
        list.RejectUnused("certs");
        return Task.FromResult(Make(dir, nodes, hosts, days, stdout, stderr));
    }

    /// <summary>Writes the certificates and lists them on stdout; bad names or an existing node file are usage errors.</summary>
    internal static int Make(string dir, IReadOnlyList<string> nodes, IReadOnlyList<string> hosts, int days, TextWriter stdout, TextWriter stderr)
    {
        IReadOnlyList<string> written;
        try { written = RunCertificates.Create(dir, nodes, hosts, DateTimeOffset.UtcNow, TimeSpan.FromDays(days)); }
        catch (ArgumentException e) { throw new UsageException($"--nodes: {e.Message}"); }
        catch (InvalidOperationException e) { throw new UsageException(e.Message); }
        catch (System.Security.Cryptography.CryptographicException e) { throw new UsageException($"{Path.Combine(dir, RunCertificates.CaKeyFile)} is not a CA this command made: {e.Message}"); }
        catch (IOException e)
        {
            stderr.WriteLine($"error: cannot write the certificates to {dir}: {e.Message}");
            return 1;
        }
        foreach (var file in written) stdout.WriteLine(Path.Combine(dir, file));
        stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"certificates for {string.Join(", ", nodes)}, valid {days} days. Give each node {RunCertificates.CaCertificateFile} and its own NAME.pfx " +
            $"(--certs DIR --node-name NAME); keep {RunCertificates.CaKeyFile} off the nodes."));
        return 0;
    }

    private static string[] Names(string v, string option)
    {
        var names = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return names.Length > 0 ? names : throw new UsageException($"{option} needs at least one node name");
    }
}
