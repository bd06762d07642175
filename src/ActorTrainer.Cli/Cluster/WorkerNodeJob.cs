using Akka.Actor;
using Akka.Configuration;
using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Training;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Cluster;

/// <summary>
/// A worker node: joins the cluster (bounded wait), then offers --workers-per-node workers to the
/// parameter server — asking every ps node until the active one answers, waiting for one if none is there
/// yet — and hosts the slots it is given until the run ends. When the server dies it looks for a standby
/// that took over, for --join-timeout, and goes on with it. Exit code 0 when the run finished, 2 when the
/// server rejected the node (with the reason), 1 when the cluster could not be joined or the server
/// went away.
/// </summary>
public sealed class WorkerNodeJob
{
    private readonly TextWriter _err;

    public WorkerNodeJob(TextWriter stderr) => _err = TextWriter.Synchronized(stderr);

    public async Task<int> RunAsync(NodeSettings node, Config hocon, TrainSettings settings, CancellationToken ct)
    {
        // The node's own view of the run, for its fingerprint; the stream layout over all G slots is
        // built once the server says what G is.
        var local = RunSetup.Create(settings, workers: 1);
        var config = ClusterNode.ActorSystemConfig(node, hocon);
        var fingerprint = ClusterFingerprint.Of(local, ClusterNode.MaximumFrameSize(config));
        var workerSettings = TrainingRunSettings.From(settings, local.Spec).ToWorkerSettings();
        RunSetup? layout = null;
        var timed = new List<Scaling.TimedComputer>(); // for the compute report at the end
        SlotComputerFactory computers = (totalSlots, slot) =>
        {
            if (layout is null || layout.Workers != totalSlots) layout = RunSetup.Create(settings, totalSlots);
            var computer = new Scaling.TimedComputer(layout.CreateComputer(slot));
            lock (timed) timed.Add(computer);
            return computer;
        };

        var system = NodeSystem.Start(config, NodeSystem.Security(node, _err));
        try
        {
            // Said before the wait, so that a node started ahead of its ps node shows it is waiting, not stuck.
            _err.WriteLine($"joining the cluster via {string.Join(", ", node.Seeds)}; giving up after {node.JoinTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} s");
            if (!await ClusterNode.JoinAsync(system, node, ct))
            {
                _err.WriteLine(ct.IsCancellationRequested ? "stopped before joining the cluster" : $"error: {ClusterNode.JoinFailure(node)}");
                return 1;
            }
            int capacity = node.EffectiveWorkersPerNode;
            _err.WriteLine($"worker node up at {Akka.Cluster.Cluster.Get(system).SelfAddress}, offering {capacity} workers; waiting for the parameter server");
            var completion = new TaskCompletionSource<WorkerNodeResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            system.ActorOf(NodeAgentActor.Props(capacity, fingerprint, workerSettings, computers, completion, settings.Batch * settings.Hidden, node.JoinTimeout), "agent");

            using var cancel = ct.Register(() => completion.TrySetResult(new WorkerNodeResult(WorkerNodeStatus.Failed, "stopped by request before the run finished")));
            if (await Task.WhenAny(completion.Task, system.WhenTerminated) != completion.Task)
            {
                _err.WriteLine("error: this node's actor system stopped before the run finished (it was downed by the split-brain resolver or shut down)");
                return 1;
            }
            var result = await completion.Task;
            switch (result.Status)
            {
                case WorkerNodeStatus.Finished:
                    _err.WriteLine(result.Detail);
                    lock (timed) _err.WriteLine(WorkerComputeReport.Of(timed, GC.CollectionCount(2)).Format());
                    return 0;
                case WorkerNodeStatus.Rejected:
                    _err.WriteLine($"error: {result.Detail}");
                    return 2;
                default:
                    _err.WriteLine($"error: {result.Detail}");
                    return 1;
            }
        }
        finally
        {
            await LeaveAsync(system);
        }
    }

    /// <summary>Leaves the cluster gracefully, then terminates the system; each step bounded (10 s), so a
    /// node whose shutdown gets stuck still exits (the process ends when the command returns).</summary>
    public static async Task LeaveAsync(ActorSystem system)
    {
        var bound = TimeSpan.FromSeconds(10);
        if (!system.WhenTerminated.IsCompleted)
        {
            var leave = CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
            await Task.WhenAny(leave, Task.Delay(bound));
        }
        await Task.WhenAny(system.Terminate(), Task.Delay(bound));
    }
}
