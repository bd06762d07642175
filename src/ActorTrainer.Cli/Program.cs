using ActorTrainer.Cli;

int code = await Cli.RunAsync(args, Console.Out, Console.Error);
Console.Out.Flush();
Console.Error.Flush();
// The command is done: end the process now, even if a library left a foreground thread behind (an
// actor system's transport after a shutdown that timed out would otherwise keep a finished node alive).
Environment.Exit(code);
return code;
