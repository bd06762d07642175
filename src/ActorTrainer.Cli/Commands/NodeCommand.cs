using ActorTrainer.Actors.Cluster;
using ActorTrainer.Cli.Cluster;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Settings;

namespace ActorTrainer.Cli.Commands;

/// <summary>`actortrainer node --role ps|worker [options]`: one member of a training cluster.</summary>
internal static class NodeCommand
{
    public const string Help = """
        usage: actortrainer node --role ps|worker [node options] [training options]

        Starts one member of an Akka.Cluster training run. The ps node runs the parameter server (a
        cluster singleton) and owns the run directory; worker nodes host workers and receive their
        streams from it. Start the ps node first (it is the seed); workers started earlier wait for it
        (within --join-timeout). See deploy/README.md.

        node options (hocon/cluster.conf < hocon/<role>.conf < --config FILE < ACTORTRAINER_<KEY> < flag):
          --role ps|worker       this node's role (worker)
          --hostname H           address other nodes reach this one at (this machine's host name)
          --bind-hostname H      interface to listen on (0.0.0.0; "" = --hostname)
          --port P               transport port (ps 4053, worker 0 = any free port)
          --seeds H:P[,H:P…]     seed nodes, i.e. the ps node (none)
          --join-timeout T       give up joining after T, e.g. 30s (30s)
          --workers-per-node N   worker role: workers this node offers (one per core)
          --tensor-port P        ps role: port of the tensor channel, the plain TCP connection gradients and
                                 weights take beside Akka.Remote; workers learn it when they join
                                 (4054; 0 = any free port; -1 = off, tensors over Akka.Remote)
          --certs DIR            the run's certificates (actortrainer certs): DIR/ca.crt and DIR/NAME.pfx; required
                                 unless --insecure
          --node-name NAME       this node's certificate, DIR/NAME.pfx (this machine's host name)
          --insecure             plaintext, no certificates: anyone who reaches the ports can join, read W and push
          --config FILE          HOCON overrides, e.g. hocon/local.conf for everything on 127.0.0.1

        training options: those of `actortrainer train` (see train --help). Every node must use the
        same model, corpus, batch, chunk, truncation, mode and clipping (a worker node that differs is
        rejected with the reason). On the ps node --workers is the run's TOTAL number of workers over
        all worker nodes; training starts when the worker nodes offer that many.

        exit codes: 0 run completed; 1 could not join / run failed / node downed; 2 bad input or the
        parameter server rejected this worker node.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Contains("--help") || args.Contains("-h")) { stdout.WriteLine(Help); return 0; }
        var list = new ArgList(args, "insecure");
        var (node, hocon) = NodeSettingsLoader.Load(list);
        if (node.Role == NodeRole.Worker && list.Names.Contains("workers"))
            throw new UsageException("--workers is the run's total, set on the ps node; on a worker node use --workers-per-node");
        var settings = TrainSettingsLoader.Load(list);
        list.RejectUnused("node");

        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        // SIGTERM (docker stop, Kubernetes) is a request to stop, like Ctrl-C: the ps node ends the run
        // with a final checkpoint, a worker node leaves the cluster; both exit normally.
        using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; cts.Cancel(); });
        try
        {
            return node.Role == NodeRole.Ps
                ? await new PsNodeJob(stdout, stderr).RunAsync(node, hocon, settings, cts.Token)
                : await new WorkerNodeJob(stderr).RunAsync(node, hocon, settings, cts.Token);
        }
        finally { Console.CancelKeyPress -= onCancel; }
    }
}
