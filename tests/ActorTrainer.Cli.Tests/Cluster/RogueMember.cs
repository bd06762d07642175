using System.Collections;
using System.Collections.Concurrent;
using ActorTrainer.Actors;
using ActorTrainer.Actors.Cluster;
using ActorTrainer.Actors.Security;
using ActorTrainer.Actors.TensorChannel;
using ActorTrainer.Cli.Cluster;
using ActorTrainer.Cli.Settings;
using ActorTrainer.Cli.Training;
using Akka.Actor;
using Akka.Cluster.Tools.Singleton;

namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>
/// A member of the run that does not play by its rules: an actor system in the test process with a genuine
/// certificate of the run's CA (so it passes both TLS handshakes), which speaks the protocol by hand —
/// JoinRun naming any node, Hello naming any address, pushes for any slot. What a compromised worker node could do.
/// </summary>
internal sealed class RogueMember : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly ActorSelection _server;
    private readonly ChannelSecurity _security;

    private RogueMember(ActorSystem system, ActorSelection server, ChannelSecurity security, RunFingerprint fingerprint, int parameters)
    {
        _system = system; _server = server; _security = security; Fingerprint = fingerprint; Parameters = parameters;
    }

    /// <summary>The run's fingerprint, as an honest node with the same training options computes it.</summary>
    public RunFingerprint Fingerprint { get; }
    public int Parameters { get; }
    public string Address => Akka.Cluster.Cluster.Get(_system).SelfAddress.ToString();

    /// <summary>Joins the cluster at 127.0.0.1:<paramref name="seedPort"/> as <paramref name="name"/> (its certificate from <see cref="TestNodes"/>).</summary>
    /// <param name="training">The run's training options (for the fingerprint).</param>
    public static async Task<RogueMember> JoinClusterAsync(int seedPort, string name, string[] training, TimeSpan timeout)
    {
        var flags = new Dictionary<string, string>
        {
            ["role"] = "worker", ["config"] = TestNodes.LocalConf, ["seeds"] = $"127.0.0.1:{seedPort}", ["port"] = "0",
            ["join-timeout"] = $"{(int)timeout.TotalSeconds}s",
        };
        var credentials = TestNodes.Credentials(name);
        for (int i = 0; i < credentials.Length; i += 2) flags[credentials[i].TrimStart('-')] = credentials[i + 1];
        var (node, hocon) = NodeSettingsLoader.Load(flags, new Hashtable());
        var trainFlags = new Dictionary<string, string>();
        for (int i = 0; i < training.Length; i += 2) trainFlags[training[i].TrimStart('-')] = training[i + 1];
        var setup = RunSetup.Create(TrainSettingsLoader.Load(trainFlags, new Hashtable()), workers: 1);
        var config = ClusterNode.ActorSystemConfig(node, hocon);
        var security = new ChannelSecurity(NodeCredentials.Load(node.Certs, node.EffectiveNodeName));
        var system = ClusterNode.StartSystem(config, security);
        if (!await ClusterNode.JoinAsync(system, node))
        {
            await system.Terminate();
            throw new TimeoutException($"the rogue member could not join the cluster at 127.0.0.1:{seedPort}");
        }
        // The active server is the actor /user/server of the ps node (the seed), as a worker node's agent asks it.
        var ps = Akka.Cluster.Cluster.Get(system).State.Members.First(m => m.HasRole(ClusterNode.PsRole)).Address;
        var server = system.ActorSelection(new RootActorPath(ps) / "user" / ClusterNode.ServerName);
        return new RogueMember(system, server, security, ClusterFingerprint.Of(setup, ClusterNode.MaximumFrameSize(config)), setup.Spec.Shape.Count);
    }

    /// <summary>Sends JoinRun claiming to be node <paramref name="claimedName"/>; the server's answer.</summary>
    public Task<ITrainerMessage> JoinRunAsync(string claimedName, TimeSpan timeout) =>
        _server.Ask<ITrainerMessage>(new JoinRun(1, Fingerprint, claimedName), timeout);

    /// <summary>A tensor connection (TLS with this member's certificate) that says Hello as <paramref name="address"/>.</summary>
    public async Task<Channel> HelloAsync(int tensorPort, string address, long epoch, TimeSpan timeout)
    {
        var channel = new Channel();
        var connection = await TensorConnection.ConnectAsync("127.0.0.1", tensorPort, timeout, Parameters,
            (_, frame) => channel.Frames.Add(frame), (_, closed) => channel.Closed.TrySetResult(closed), _security);
        channel.Connection = connection;
        connection.Start();
        connection.Send(new HelloFrame(address, epoch));
        return channel;
    }

    public async ValueTask DisposeAsync() => await WorkerNodeJob.LeaveAsync(_system);

    /// <summary>One tensor connection of the rogue and everything it received.</summary>
    public sealed class Channel : IDisposable
    {
        public BlockingCollection<ChannelFrame> Frames { get; } = new();
        public TaskCompletionSource<ChannelClosed> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TensorConnection Connection { get; set; } = null!;
        public void Dispose() => Connection.Dispose();
    }
}
