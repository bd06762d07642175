using System.Runtime.InteropServices;
using ActorTrainer.Cli;

// Ctrl-C (SIGINT) and SIGTERM (docker stop, Kubernetes) ask the command to stop: training ends with a
// checkpoint and `train` exits 130; the process is not killed under it.
using var stop = new CancellationTokenSource();
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
int code = await Cli.RunAsync(args, Console.Out, Console.Error, stop.Token);
Console.Out.Flush();
Console.Error.Flush();
// The command is done: end the process now, even if a library left a foreground thread behind (an
// actor system's transport after a shutdown that timed out would otherwise keep a finished node alive).
Environment.Exit(code);
return code;

// A second signal is not intercepted: it ends the process at once.
void Stop(PosixSignalContext context)
{
    context.Cancel = !stop.IsCancellationRequested;
    stop.Cancel();
}
