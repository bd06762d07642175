namespace ActorTrainer.Actors.Simulation;

/// <summary>A node of the simulated cluster: worker i, server shard i, or the run's observer (the coordinator).</summary>
public enum NodeKind { Worker, Shard, Observer }

public readonly record struct NodeId(NodeKind Kind, int Index)
{
    public static NodeId Worker(int i) => new(NodeKind.Worker, i);
    public static NodeId Shard(int i) => new(NodeKind.Shard, i);
    public static readonly NodeId Observer = new(NodeKind.Observer, 0);
    public override string ToString() => Kind == NodeKind.Observer ? "observer" : $"{Kind.ToString().ToLowerInvariant()} {Index}";
}

/// <summary>
/// The ports of <see cref="NetworkCosts"/>: when each node's outgoing and incoming port is next free.
/// <see cref="Send"/> is called in virtual-time order (the simulation's event order) and reserves both
/// ports, so per sender–receiver pair messages arrive in the order sent, as on a TCP connection.
/// The observer sits beside the servers (in process with them, as the coordinator): its messages are free,
/// and, when <paramref name="sameCore"/> is given (<see cref="NetworkCosts.FreeWithinACore"/>), so are those
/// between two nodes on one core: threads on one core hand a message over when the sender yields the core,
/// which the core's own schedule already holds.
/// Plain state, one simulation owns it.
/// </summary>
public sealed class SimulatedNetwork(NetworkCosts costs, Func<NodeId, NodeId, bool>? sameCore = null)
{
    private readonly Dictionary<NodeId, double> _outFree = new(), _inFree = new();

    public NetworkCosts Costs { get; } = costs ?? throw new ArgumentNullException(nameof(costs));

    /// <summary>When a message of <paramref name="bytes"/> sent at <paramref name="now"/> from
    /// <paramref name="from"/> is in at <paramref name="to"/>.</summary>
    public double Send(NodeId from, NodeId to, long bytes, double now)
    {
        if (from.Kind == NodeKind.Observer || to.Kind == NodeKind.Observer || sameCore?.Invoke(from, to) == true) return now;
        double transmit = Costs.TransmitSeconds(bytes);
        double leaves = Math.Max(now, _outFree.GetValueOrDefault(from));
        double sent = leaves + transmit;          // last byte out of the sender's port
        _outFree[from] = sent;
        double first = leaves + Costs.LatencySeconds;   // first byte at the receiver's port
        double start = Math.Max(first, _inFree.GetValueOrDefault(to));
        double arrives = Math.Max(start + transmit, sent + Costs.LatencySeconds);
        _inFree[to] = arrives;
        return arrives;
    }
}
