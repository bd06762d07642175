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
        Receive<LogEvent>(e => Console.Error.WriteLine(e.ToString()));
    }
}
