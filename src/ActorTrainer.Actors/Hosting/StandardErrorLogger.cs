using Akka.Actor;
using Akka.Event;

namespace ActorTrainer.Actors.Hosting;

/// <summary>
/// Akka logger that writes to standard error, so a node's standard output carries only its result
/// (scripts read it). Enable with <c>akka.loggers = ["ActorTrainer.Actors.Hosting.StandardErrorLogger, ActorTrainer.Actors"]</c>.
/// </summary>
public sealed class StandardErrorLogger : ReceiveActor
{
    public StandardErrorLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e => Console.Error.WriteLine(IsTlsHandshakeFailure(e) ? FirstLine(e.ToString()) : e.ToString()));
    }

    // A refused TLS peer (a stranger, or a node of another run) is expected traffic: the certificate check
    // already logged why in one line, so Akka's troubleshooting text and stack trace are left out.
    private static bool IsTlsHandshakeFailure(LogEvent e) =>
        e.LogSource is { } source && (source.Contains("TcpServerHandler", StringComparison.Ordinal) || source.Contains("TcpClientHandler", StringComparison.Ordinal))
        && e.Message?.ToString()?.StartsWith("TLS handshake failed", StringComparison.Ordinal) == true;

    private static string FirstLine(string s) => s.Split('\n', 2)[0].TrimEnd('\r');
}
