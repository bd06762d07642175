using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using Akka.Remote;

namespace ActorTrainer.Actors.Hosting;

/// <summary>
/// Akka logger that writes to standard error, so a node's standard output carries only its result
/// (scripts read it). Enable with <c>akka.loggers = ["ActorTrainer.Actors.Hosting.StandardErrorLogger, ActorTrainer.Actors"]</c>.
/// A transport that cannot bind its port is not logged: the node reports it as one <c>error:</c> line
/// (ClusterNode.StartSystem), and Akka's version of it is a stack trace.
/// </summary>
public sealed class StandardErrorLogger : ReceiveActor
{
    public StandardErrorLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e => { if (!IsBindFailure(e)) Console.Error.WriteLine(e.ToString()); });
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
}
