using System.CommandLine;
using System.Globalization;
using ActorTrainer.Actors.Security;
using ActorTrainer.Cli.CommandLine;

namespace ActorTrainer.Cli.Commands;

/// <summary>
/// `actortrainer certs --out DIR [--nodes NAME,…] [--hosts H,…] [--days N]` (defaults in reference.conf's actortrainer.certs): the run's CA and one
/// certificate per node (<see cref="RunCertificates"/>), for mutual TLS between cluster nodes. Run again
/// on the same DIR to add nodes: the CA there is reused, existing node files are never overwritten.
/// </summary>
internal static class CertsCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("certs",
            "Make the run's certificate authority (DIR/ca.crt, DIR/ca.key.pfx) and a certificate with key for each node " +
            "(DIR/NAME.pfx) for mutual TLS between cluster nodes, with .NET's own crypto (ECDSA P-256; no openssl). Start each node " +
            "with --certs DIR --node-name NAME; it needs only ca.crt and its own NAME.pfx. Keep ca.key.pfx off the nodes: it only " +
            "issues more certificates (run certs again on the same DIR with new --nodes).");
        var t = new OptionTable("actortrainer.certs");
        var output = t.Add("out", "where to write (created if missing); required", Values.Text, "DIR");
        var nodes = t.Add("nodes", "node names, one certificate each", Names, "NAME,…");
        var hosts = t.Add("hosts", "DNS names or IP addresses added to every node certificate", (v, _) =>
            v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), "H,…");
        var days = t.Add("days", "validity in days", Values.Int(1, 36500), "N");
        t.AddTo(command);
        command.SetAction(r =>
        {
            string dir = output.Read(r) ?? throw new UsageException("certs needs --out DIR (the directory to write the CA and node certificates to)");
            return Make(dir, nodes.Read(r), hosts.Read(r), days.Read(r), context.Out, context.Err);
        });
        return command;
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

    private static string[] Names(string v, string src)
    {
        var names = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return names.Length > 0 ? names : throw new UsageException($"{src} needs at least one node name");
    }
}
