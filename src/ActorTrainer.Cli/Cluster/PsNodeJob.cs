using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using ActorTrainer.Actors;
using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Actors.Security;
using ActorTrainer.Actors.TensorChannel;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Training;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Cluster;

/// <summary>
/// The ps node: joins (or starts) the cluster, runs the parameter server as the cluster singleton
/// and owns the run directory — metrics.csv, validation.csv, loss.png, model/state checkpoints,
/// sample.txt, exactly as an in-process run writes them — and, at the end, server.json
/// (<see cref="ServerSummary"/>: the server's counters and measured load). The run's slots G are --workers (the
/// total over all worker nodes); training starts once the joined worker nodes offer G workers.
/// </summary>
public sealed class PsNodeJob
{
    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private ServerLoadReported? _load; // the server's own load, sent just before it completes
    private long _foreignPushes;       // pushes refused because their sender does not host the slot

    /// <summary>Refused pushes printed one by one; the rest are only counted (a rogue member could send millions).</summary>
    private const int ForeignPushesPrinted = 3;

    public PsNodeJob(TextWriter stdout, TextWriter stderr) { _out = stdout; _err = TextWriter.Synchronized(stderr); }

    public async Task<int> RunAsync(NodeSettings node, Config hocon, TrainSettings settings, CancellationToken ct)
    {
        // Everything that can fail on bad input happens before anything is written or started.
        (settings, var resumedDir, bool resumed) = TrainJob.Prepare(settings);
        if (settings.Shards != 1)
            throw new UsageException($"node --role ps runs one unsharded parameter server; --shards {settings.Shards} is for in-process runs only");
        int slots = settings.EffectiveWorkers;
        var setup = RunSetup.Create(settings, slots);
        var config = ClusterNode.ActorSystemConfig(node, hocon);
        var fingerprint = ClusterFingerprint.Of(setup, ClusterNode.MaximumFrameSize(config));
        ServerCheckpoint? resume = null;
        float[] w;
        if (resumed)
        {
            // The checkpoint's W, optimizer state, version, and every slot's next chunk and h.
            w = setup.ReadCompatible(resumedDir!.Model).W;
            var state = resumedDir.ReadCheckpointState(setup, slots);
            if (state.Updates >= settings.Updates)
                throw new UsageException($"run {resumedDir.Path} already has {state.Updates} updates; pass --updates N with N > {state.Updates} to train further");
            resume = new ServerCheckpoint(state.Updates, state.Version, w, state.Optimizer,
                state.Workers.Select(s => s.NextChunk).ToArray(), state.Workers.Select(s => s.Hidden).ToArray(), state.Epoch);
        }
        else w = setup.InitialWeights();
        var run = TrainingRunSettings.From(settings with { Updates = settings.Updates - (int)(resume?.Updates ?? 0) }, setup.Spec);
        var runSettings = new ClusterRunSettings(
            run.ToServerSettings(w.Length, slots, snapshotsForValidation: settings.EvalEvery > 0), fingerprint, slots, settings.Batch, settings.CheckpointEvery);

        var security = NodeSystem.Security(node, _err);
        using var channel = OpenTensorChannel(node, security);
        // The transport port is bound before the run directory exists: a port in use leaves nothing behind.
        var system = NodeSystem.Start(config, security);
        try
        {
            RunDirectory dir;
            if (resumed)
            {
                dir = resumedDir!;
                MetricsLog.TrimAfter(dir, resume!.Updates);
                _err.WriteLine($"resuming at update {resume.Updates} (version {resume.Version}) as server epoch {resume.Epoch + 1}; every slot at its checkpoint's chunk with its hidden state");
            }
            else
            {
                dir = RunDirectory.CreateNew(settings.Out, settings, slots);
            }
            // The server continues its update numbers after a resume: the host adds nothing, but keeps the history.
            using var host = new RunHost(_out, _err, setup, dir, slots, keepHistory: resumed);
            host.WriteHeader();

            var rule = setup.CreateUpdateRule(resume?.Optimizer);
            if (!await ClusterNode.JoinAsync(system, node, ct))
            {
                _err.WriteLine(ct.IsCancellationRequested ? "stopped before joining the cluster" : $"error: {ClusterNode.JoinFailure(node)}");
                return 1;
            }
            _err.WriteLine($"ps node up at {Akka.Cluster.Cluster.Get(system).SelfAddress}; waiting for worker nodes to offer {slots} workers");

            var completion = new TaskCompletionSource<TrainingResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            // The cluster's server sends its own checkpoints: each slot's next chunk and its h.
            var callbacks = host.Callbacks(Report, checkpoints: false);
            void Checkpoint(ServerCheckpoint c) => host.Checkpoint(c.Weights, c.Updates, c.Version, c.Optimizer,
                c.NextChunk.Select((next, g) => new WorkerSnapshot(g * settings.Batch, settings.Batch, next,
                    c.Hidden[g].Length > 0 ? c.Hidden[g] : new float[settings.Batch * settings.Hidden])).ToList(), c.Epoch);
            var observer = system.ActorOf(ClusterRunObserver.Props(callbacks, Checkpoint, completion), "observer");
            system.ActorOf(ClusterSingletonManager.Props(
                ClusterServerActor.Props(runSettings, w, rule, observer, channel, settings.Batch * settings.Hidden, resume), PoisonPill.Instance,
                ClusterSingletonManagerSettings.Create(system)), ClusterNode.ServerManagerPath.Split('/')[^1]);
            using var cancel = ct.Register(() => observer.Tell(new StopTraining("cancelled")));

            await Task.WhenAny(completion.Task, system.WhenTerminated);
            if (completion.Task.Exception?.InnerException is ServerFailedException failed)
            {
                _err.WriteLine($"error: {failed.Message}; the last checkpoint is in {dir.Path}");
                return 1;
            }
            if (!completion.Task.IsCompleted || completion.Task.Exception?.InnerException is RunInterruptedException)
            {
                _err.WriteLine("error: this node's actor system stopped before the run completed (it was downed or shut down); the last checkpoint is in " + dir.Path);
                return 1;
            }
            var result = await completion.Task; // a failed callback (e.g. the disk is full) surfaces here
            ServerSummary.From(result, _load, GC.CollectionCount(2)).Write(dir.Path);
            if (_foreignPushes > ForeignPushesPrinted) _err.WriteLine($"refused {_foreignPushes} pushes in all for slots their sender did not host");
            return host.Finish(result, "stopped early: " + result.Detail);
        }
        finally
        {
            await WorkerNodeJob.LeaveAsync(system);
        }
    }

    /// <summary>The tensor channel's listener, bound now so that a port in use stops the node before
    /// anything is written.</summary>
    private TensorChannelListener OpenTensorChannel(NodeSettings node, ChannelSecurity? security)
    {
        string bind = node.BindHostname.Length > 0 ? node.BindHostname : node.EffectiveHostname;
        try
        {
            var listener = TensorChannelListener.Bind(bind, node.TensorPort, security);
            _err.WriteLine($"tensor channel on {bind}:{listener.Port}{(security is null ? ", plaintext" : ", mutual TLS")} (every message of the run after a node joins)");
            return listener;
        }
        catch (InvalidOperationException e) { throw new UsageException(e.Message); }
    }

    private void Report(ITrainerEvent e)
    {
        switch (e)
        {
            case NodeJoined m:
                _err.WriteLine($"worker node {m.Node} joined, offering {m.Capacity} workers" +
                               (m.TotalCapacity < m.Slots ? $" ({m.TotalCapacity} of {m.Slots} offered; waiting for more)" : ""));
                break;
            case NodeLeft m:
                _err.WriteLine($"worker node {m.Node} dropped: {m.Reason}");
                break;
            case SlotMoved m when m.To is not null:
                _err.WriteLine($"slot {m.Slot} → {m.To}" + (m.From is null ? "" : $" (from {m.From})") + (m.NextChunk > 0 ? $", resuming at chunk {m.NextChunk} with " + (m.CarriesHidden ? "its hidden state" : "h = 0") : ""));
                break;
            case SlotMoved m:
                _err.WriteLine($"slot {m.Slot} unassigned: no worker node left to take it; waiting for one to join");
                break;
            case RunJoinRejected m:
                _err.WriteLine($"rejected worker node {m.Node}: {m.Reason}");
                break;
            case RegistrationRejected m:
                _err.WriteLine($"refused worker of slot {m.WorkerId}: {m.Reason}");
                break;
            case ConnectionRefused m:
                _err.WriteLine($"refused a tensor connection that said Hello as {m.Node}: {m.Reason}");
                break;
            case GradientRejected { Reason: RejectionReason.UnknownWorker } m:
                long n = Interlocked.Increment(ref _foreignPushes);
                if (n <= ForeignPushesPrinted)
                    _err.WriteLine($"refused a push for slot {m.WorkerId}, chunk {m.ChunkId}: {m.Detail}" +
                                   (n == ForeignPushesPrinted ? " (further refusals of this kind are counted, not printed)" : ""));
                break;
            case ServerLoadReported m:
                _load = m;
                break;
        }
    }
}
