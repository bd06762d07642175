using System.Globalization;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Akka.Remote;

namespace ActorTrainer.Actors.Hosting;

/// <summary>
/// Akka logger that writes to standard error, so a node's standard output carries only its result
/// (scripts read it). Enable with <c>akka.loggers = ["ActorTrainer.Actors.Hosting.StandardErrorLogger, ActorTrainer.Actors"]</c>.
/// Refused TLS connections are logged in one line each, the first <see cref="RefusalsInFull"/> of them, then only the
/// 100th, 1000th, …: a flood of strangers cannot flood the log.
/// A transport that cannot bind its port is not logged: the node reports it as one <c>error:</c> line
/// (ClusterNode.StartSystem), and Akka's version of it is a stack trace.
/// </summary>
public sealed class StandardErrorLogger : ReceiveActor
{
    public const int RefusalsInFull = 10;
    private long _refusals;

    public StandardErrorLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e =>
        {
            if (IsBindFailure(e)) return;
            if (!IsTlsRefusal(e))
            {
                Console.Error.WriteLine(Render(e));
                return;
            }
            long n = ++_refusals;
            if (n <= RefusalsInFull)
                Console.Error.WriteLine(FirstLine(e.ToString()) + (n == RefusalsInFull ? " (from now on only every 10×th refused TLS log line is written)" : ""));
            else if (IsPowerOfTen(n))
                Console.Error.WriteLine(FirstLine(e.ToString()) + string.Create(CultureInfo.InvariantCulture, $" ({n} refused TLS log lines so far)"));
        });
    }

    /// <summary>Akka.Remote's (internal) exception for an association its peer ended.</summary>
    public const string PeerGoneException = "EndpointDisassociatedException";

    /// <summary>What is written for <paramref name="e"/> (not a TLS refusal): an association that ended because its
    /// peer went away is one line, without Akka's stack trace — that is what a node's death looks like from
    /// the others, and the trainer reports it itself ("worker node … dropped", "the tensor channel … ended");
    /// anything else in full.</summary>
    public static string Render(LogEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        bool peerGone = e is Error { Cause: { } cause } && cause.GetType().Name == PeerGoneException
                        || (e.Message?.ToString() ?? "").Contains(PeerGoneException, StringComparison.Ordinal);
        return peerGone ? FirstLine(e.ToString()) : e.ToString();
    }

    /// <summary>The transport's "failed to bind" error (a socket error under a RemoteTransportException).</summary>
    public static bool IsBindFailure(LogEvent e)
    {
        if (e is not Error { Cause: { } cause }) return false;
        bool transport = false;
        for (Exception? x = cause; x is not null; x = x.InnerException)
        {
            transport |= x is RemoteTransportException;
            if (transport && x is SocketException) return true;
        }
        return false;
    }

    // A refused TLS peer (a stranger, or a node of another run) is expected traffic: the certificate check
    // already logged why in one line, so Akka's troubleshooting text and stack trace are left out.
    private static bool IsTlsRefusal(LogEvent e)
    {
        string message = e.Message?.ToString() ?? "";
        if (message.StartsWith("refused a TLS connection", StringComparison.Ordinal)) return true; // ours (ClusterNode's certificate check)
        bool transport = e.LogSource is { } source && (source.Contains("TcpServerHandler", StringComparison.Ordinal) || source.Contains("TcpClientHandler", StringComparison.Ordinal));
        return transport && (message.StartsWith("TLS handshake failed", StringComparison.Ordinal)
                             || (message.StartsWith("Rejected incoming connection", StringComparison.Ordinal) && message.Contains("TLS handshake", StringComparison.Ordinal)));
    }

    private static bool IsPowerOfTen(long n)
    {
        while (n % 10 == 0) n /= 10;
        return n == 1;
    }

    private static string FirstLine(string s) => s.Split('\n', 2)[0].TrimEnd('\r');
}
