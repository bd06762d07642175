using System.Globalization;
using Akka.Actor;
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
/// The ps node: joins (or starts) the cluster, holds the run directory's lease (<see cref="RunLease"/>),
/// runs the parameter server (at <see cref="ClusterNode.ServerName"/>) and owns the run directory — metrics.csv, validation.csv, loss.png, model/state checkpoints,
/// sample.txt, exactly as an in-process run writes them — and, at the end, server.json
/// (<see cref="ServerSummary"/>: the server's counters and measured load). The run's slots G are --workers (the
/// total over all worker nodes); training starts once the joined worker nodes offer G workers. With
/// --standby on it is a standby for the run in --resume DIR: it joins the cluster, waits for the lease,
/// and takes over (<see cref="StandbyState"/>) when the active ps node dies.
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
        if (node.Standby && settings.Resume is null)
            throw new UsageException("--standby on needs the run to stand by for: --resume DIR, the active ps node's run directory (its --out)");
        if (node.Standby && !await WaitForRunAsync(settings.Resume!, ct)) return ExitCodes.Interrupted;
        // Everything that can fail on bad input happens before anything is written or started.
        (settings, var resumedDir, bool resumed) = TrainJob.Prepare(settings, requireCheckpoint: !node.Standby);
        if (settings.Shards != 1)
            throw new UsageException($"node --role ps runs one unsharded parameter server; --shards {settings.Shards} is for in-process runs only");
        int slots = settings.EffectiveWorkers;
        var setup = RunSetup.Create(settings, slots);
        var config = ClusterNode.ActorSystemConfig(node, hocon);
        var fingerprint = ClusterFingerprint.Of(setup, ClusterNode.MaximumFrameSize(config));
        ServerCheckpoint? resume = null;
        RunLease? lease = null;
        LeaseRecord? held = null; // what this node wrote in the lease as the active server
        string ended = "the ps node stopped"; // what the lease says when this node ends the run on purpose
        try
        {
            if (resumed && !node.Standby)
            {
                lease = RunLease.TryAcquire(resumedDir!.Path)
                        ?? throw new UsageException($"run {resumedDir.Path} has a live parameter server (it holds {RunLease.FileName}); to stand by for it, add --standby on");
                resume = ReadCheckpoint(resumedDir, setup, slots, settings.Updates);
            }

            var security = NodeSystem.Security(node, _err);
            using var channel = OpenTensorChannel(node, security);
            // The transport port is bound before the run directory exists: a port in use leaves nothing behind.
            var system = NodeSystem.Start(config, security);
            IActorRef? server = null;
            try
            {
                var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
                long tookOverAt = 0; // a standby: when it got the lease
                if (node.Standby)
                {
                    if (!await ClusterNode.JoinAsync(system, node, ct))
                    {
                        _err.WriteLine(ct.IsCancellationRequested ? "stopped before joining the cluster" : $"error: {ClusterNode.JoinFailure(node)}");
                        return 1;
                    }
                    _err.WriteLine($"standby ps node up at {self} for run {resumedDir!.Path}; the active parameter server holds its lease");
                    (lease, var decision) = await WaitForLeaseAsync(resumedDir, setup, slots, settings.Updates, system, ct);
                    switch (decision)
                    {
                        case null:
                            _err.WriteLine(ct.IsCancellationRequested ? "standby stopped by request; it never took over" : "error: this node's actor system stopped while it stood by");
                            return ct.IsCancellationRequested ? ExitCodes.Interrupted : 1;
                        case StandDown d:
                            _out.WriteLine($"standby done: {d.Reason}; nothing to take over");
                            return 0;
                        case TakeOver t:
                            tookOverAt = System.Diagnostics.Stopwatch.GetTimestamp();
                            // The lease proves the old server's process dead: down its member now, so that the
                            // split-brain resolver (keep-oldest) never sees the oldest ps unreachable and downs us.
                            if (t.Down is { } dead && dead != self.ToString()) Akka.Cluster.Cluster.Get(system).Down(Address.Parse(dead));
                            resume = (t.FromUpdate > 0 ? ReadCheckpoint(resumedDir, setup, slots, settings.Updates) : FromStart(setup, slots)) with { Epoch = t.Epoch - 1 };
                            _err.WriteLine($"taking over run {resumedDir.Path} as server epoch {t.Epoch}: the active parameter server is gone" +
                                           (t.Down is null ? "" : $" ({t.Down}, downed)") + $"; continuing from update {resume.Updates}");
                            resumed = true;
                            break;
                    }
                }
                long epoch = (resume?.Epoch ?? 0) + 1;
                var w = resume?.Weights ?? setup.InitialWeights();
                var run = TrainingRunSettings.From(settings with { Updates = settings.Updates - (int)(resume?.Updates ?? 0) }, setup.Spec);
                var runSettings = new ClusterRunSettings(
                    run.ToServerSettings(w.Length, slots, snapshotsForValidation: settings.EvalEvery > 0), fingerprint, slots, settings.Batch, settings.CheckpointEvery);

                RunDirectory dir;
                if (resumed)
                {
                    dir = resumedDir!;
                    MetricsLog.TrimAfter(dir, resume!.Updates);
                    if (!node.Standby)
                        _err.WriteLine($"resuming at update {resume.Updates} (version {resume.Version}) as server epoch {epoch}; every slot at its checkpoint's chunk with its hidden state");
                }
                else
                {
                    dir = RunDirectory.CreateNew(settings.Out, settings, slots);
                    lease = RunLease.TryAcquire(dir.Path) ?? throw new UsageException($"run directory {dir.Path} is held by another parameter server");
                }
                held = new LeaseRecord(epoch, self.ToString());
                lease!.Write(held);
                // The server continues its update numbers after a resume: the host adds nothing, but keeps the history.
                using var host = new RunHost(_out, _err, setup, dir, slots, keepHistory: resumed);
                host.WriteHeader();

                var rule = setup.CreateUpdateRule(resume?.Optimizer);
                if (!node.Standby && !await ClusterNode.JoinAsync(system, node, ct))
                {
                    _err.WriteLine(ct.IsCancellationRequested ? "stopped before joining the cluster" : $"error: {ClusterNode.JoinFailure(node)}");
                    ended = "it could not join the cluster";
                    return 1;
                }
                _err.WriteLine($"ps node up at {self}; waiting for worker nodes to offer {slots} workers");

                var completion = new TaskCompletionSource<TrainingResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                // The cluster's server sends its own checkpoints: each slot's next chunk and its h.
                var callbacks = host.Callbacks(Report, checkpoints: false);
                if (tookOverAt != 0)
                    callbacks = new TrainingCallbacks
                    {
                        OnUpdate = FirstUpdateReported(callbacks.OnUpdate, epoch, tookOverAt), OnEvent = callbacks.OnEvent,
                        Validate = callbacks.Validate, OnValidation = callbacks.OnValidation, OnSnapshot = callbacks.OnSnapshot,
                    };
                void Checkpoint(ServerCheckpoint c) => host.Checkpoint(c.Weights, c.Updates, c.Version, c.Optimizer,
                    c.NextChunk.Select((next, g) => new WorkerSnapshot(g * settings.Batch, settings.Batch, next,
                        c.Hidden[g].Length > 0 ? c.Hidden[g] : new float[settings.Batch * settings.Hidden])).ToList(), c.Epoch);
                var observer = system.ActorOf(ClusterRunObserver.Props(callbacks, Checkpoint, completion), "observer");
                server = system.ActorOf(ClusterServerActor.Props(runSettings, w, rule, observer, channel, settings.Batch * settings.Hidden, resume), ClusterNode.ServerName);
                using var cancel = ct.Register(() => observer.Tell(new StopTraining("cancelled")));

                await Task.WhenAny(completion.Task, system.WhenTerminated);
                if (completion.Task.Exception?.InnerException is ServerFailedException failed)
                {
                    _err.WriteLine($"error: {failed.Message}; the last checkpoint is in {dir.Path}");
                    ended = "the server failed: " + failed.Message;
                    return 1;
                }
                if (!completion.Task.IsCompleted || completion.Task.Exception?.InnerException is RunInterruptedException)
                {
                    _err.WriteLine("error: this node's actor system stopped before the run completed (it was downed or shut down); the last checkpoint is in " + dir.Path);
                    ended = "its actor system stopped (downed or shut down)";
                    return 1;
                }
                var result = await completion.Task; // a failed callback (e.g. the disk is full) surfaces here
                ended = $"{result.Reason} after {(resume?.Updates ?? 0) + result.Stats.Updates} updates";
                ServerSummary.From(result, _load, GC.CollectionCount(2)).Write(dir.Path);
                if (_foreignPushes > ForeignPushesPrinted) _err.WriteLine($"refused {_foreignPushes} pushes in all for slots their sender did not host");
                return host.Finish(result, "stopped early: " + result.Detail);
            }
            finally
            {
                // The server first: it stops once every tensor connection's last frames (RunFinished) have left. Leaving
                // the cluster before that would tell worker nodes the server is gone while those frames are on their way.
                if (server is not null && !system.WhenTerminated.IsCompleted)
                    try { await server.GracefulStop(TensorConnection.OrderlyCloseWait + TimeSpan.FromSeconds(10)); }
                    catch (Exception e) when (e is TaskCanceledException or AskTimeoutException) { } // still closing: leave anyway
                EndLease(); // before leaving the cluster, which may take seconds
                await WorkerNodeJob.LeaveAsync(system);
            }
        }
        finally
        {
            EndLease();
            lease?.Dispose();
        }

        // A server that ends on purpose says so: a standby takes over only from one that died without a word.
        void EndLease()
        {
            if (lease is null || held is null || held.Ended is not null) return;
            held = held with { Ended = ended };
            try { lease.Write(held); }
            catch (IOException) { /* the process is ending; the lock goes with it */ }
        }
    }

    /// <summary>Prints, once, when the first update after a takeover was applied and how long after the lease was taken.</summary>
    private Action<UpdateApplied>? FirstUpdateReported(Action<UpdateApplied>? onUpdate, long epoch, long tookOverAt)
    {
        bool reported = false;
        return u =>
        {
            if (!reported)
            {
                reported = true;
                _err.WriteLine($"first update as server epoch {epoch}: update {u.UpdateNumber}, " +
                               $"{System.Diagnostics.Stopwatch.GetElapsedTime(tookOverAt).TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)} s after taking over");
            }
            onUpdate?.Invoke(u);
        };
    }

    /// <summary>A standby started with (or before) the active node waits until the active has created the
    /// run directory and written its lease. False when cancelled.</summary>
    private async Task<bool> WaitForRunAsync(string path, CancellationToken ct)
    {
        string full = Path.GetFullPath(path);
        bool told = false;
        // The lease's record, not just its file: then the active has held the lock (it creates the file, then locks it).
        while (!File.Exists(Path.Combine(full, "run.json")) || !File.Exists(RunLease.PathIn(full)) || new FileInfo(RunLease.PathIn(full)).Length == 0)
        {
            if (!told) _err.WriteLine($"standby: waiting for run {full} to be created by the active ps node");
            told = true;
            try { await Task.Delay(PollInterval, ct); }
            catch (OperationCanceledException) { return false; }
        }
        return true;
    }

    /// <summary>How often a standby tries the lease: the takeover's detection delay is at most this.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Tries the run's lease until <see cref="StandbyState"/> decides (null decision: cancelled, or
    /// the actor system stopped). Returns the lease when it was acquired.</summary>
    private static async Task<(RunLease? Lease, StandbyDecision? Decision)> WaitForLeaseAsync(
        RunDirectory dir, RunSetup setup, int slots, long target, Akka.Actor.ActorSystem system, CancellationToken ct)
    {
        var standby = new StandbyState();
        while (!ct.IsCancellationRequested && !system.WhenTerminated.IsCompleted)
        {
            var lease = RunLease.TryAcquire(dir.Path);
            LeaseProbe probe;
            if (lease is null) probe = new LeaseProbe(false, null, null, 0, target);
            else
            {
                var state = File.Exists(dir.State) ? dir.ReadCheckpointState(setup, slots) : null;
                probe = new LeaseProbe(true, lease.Read(), state?.Updates, state?.Epoch ?? 0, target);
            }
            var decision = standby.Handle(probe);
            if (decision is not KeepWaiting) return (lease, decision);
            try { await Task.Delay(PollInterval, ct); }
            catch (OperationCanceledException) { break; }
        }
        return (null, null);
    }

    /// <summary>The run's last checkpoint: W (from the model file of the checkpoint's own update), optimizer
    /// state, version, every slot's next chunk and h, and the epoch of the server that wrote it.</summary>
    private static ServerCheckpoint ReadCheckpoint(RunDirectory dir, RunSetup setup, int slots, long target)
    {
        var state = dir.ReadCheckpointState(setup, slots);
        if (state.Updates >= target)
            throw new UsageException($"run {dir.Path} already has {state.Updates} updates; pass --updates N with N > {state.Updates} to train further");
        var w = setup.ReadCompatible(dir.ModelAt(state.Updates)).W;
        return new ServerCheckpoint(state.Updates, state.Version, w, state.Optimizer,
            state.Workers.Select(s => s.NextChunk).ToArray(), state.Workers.Select(s => s.Hidden).ToArray(), state.Epoch);
    }

    /// <summary>The run's start as a checkpoint: W from the run's seed, every slot at chunk 0 with h = 0.</summary>
    private static ServerCheckpoint FromStart(RunSetup setup, int slots) =>
        new(0, 0, setup.InitialWeights(), null, new long[slots], Enumerable.Range(0, slots).Select(_ => Array.Empty<float>()).ToArray());

    /// <summary>The tensor channel's listener, bound now so that a port in use stops the node before
    /// anything is written.</summary>
    private TensorChannelListener OpenTensorChannel(NodeSettings node, ChannelSecurity? security)
    {
        string bind = node.BindHostname.Length > 0 ? node.BindHostname : node.EffectiveHostname;
        try
        {
            var listener = TensorChannelListener.Bind(bind, node.TensorPort, security, node.HandshakeTimeout);
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
            case ConnectionRefused m:
                _err.WriteLine($"refused a tensor connection that said Hello as {m.Node}: {m.Reason}");
                break;
            case GradientRejected { Reason: RejectionReason.UnknownWorker } m:
                long n = Interlocked.Increment(ref _foreignPushes);
                if (n <= ForeignPushesPrinted)
                    _err.WriteLine($"refused a push for slot {m.WorkerId}, chunk {m.ChunkId}: {m.Detail}" +
                                   (n == ForeignPushesPrinted ? " (further refusals of this kind are counted, not printed)" : ""));
                break;
            case RegistrationRejected m:
                _err.WriteLine($"refused worker of slot {m.WorkerId}: {m.Reason}");
                break;
            case ServerLoadReported m:
                _load = m;
                break;
        }
    }
}
