namespace ActorTrainer.Actors.Cluster;

/// <summary>One change of a slot's host: <paramref name="From"/> stops hosting it (null: it was
/// unassigned), <paramref name="To"/> starts (null: nobody can take it now).</summary>
public readonly record struct SlotMove(int Slot, string? From, string? To);

/// <summary>
/// Which worker node hosts which of the run's G slots — the assignment of corpus streams to
/// workers, owned by the parameter server. Plain state, no Akka; deterministic (nodes are ordered
/// by when they joined).
///
/// Rules:
/// - nothing is assigned until the joined nodes together offer at least G workers; then each node,
///   in join order, takes consecutive slots up to its capacity;
/// - after that, a vacant slot (its node left) goes to the node with free capacity and the fewest
///   slots; when no node has free capacity it goes to the least loaded node anyway (load = slots /
///   capacity), so training never waits for a missing node;
/// - a node that joins later takes over slots from overloaded nodes (more slots than capacity),
///   highest slot first, until it is full or nobody is overloaded; otherwise it stands by and takes
///   slots when a node leaves.
/// </summary>
public sealed class SlotTable
{
    private readonly string?[] _host;                            // (G) slot → node, null = vacant
    private readonly List<(string Node, int Capacity)> _nodes = new(); // join order

    public SlotTable(int slots)
    {
        if (slots <= 0) throw new ArgumentOutOfRangeException(nameof(slots), slots, "a run needs at least one slot");
        _host = new string?[slots];
    }

    /// <summary>G, the number of slots.</summary>
    public int Slots => _host.Length;

    /// <summary>True once the joined capacity first reached G; slots are assigned from then on.</summary>
    public bool Started { get; private set; }

    public IReadOnlyList<string> Nodes => _nodes.Select(n => n.Node).ToArray();

    /// <summary>Sum of the joined nodes' capacities.</summary>
    public int Capacity => _nodes.Sum(n => n.Capacity);

    public bool Contains(string node) => IndexOf(node) >= 0;

    /// <summary>The node hosting <paramref name="slot"/>, or null.</summary>
    public string? HostOf(int slot) => _host[slot];

    /// <summary>The slots <paramref name="node"/> hosts, ascending.</summary>
    public IReadOnlyList<int> SlotsOf(string node) =>
        Enumerable.Range(0, _host.Length).Where(s => _host[s] == node).ToArray();

    /// <summary>Adds a node offering <paramref name="capacity"/> workers; returns the slot moves, in order.</summary>
    public IReadOnlyList<SlotMove> Join(string node, int capacity)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a node must offer at least one worker");
        if (Contains(node)) throw new ArgumentException($"node {node} has already joined", nameof(node));
        _nodes.Add((node, capacity));
        var moves = new List<SlotMove>();
        if (!Started && Capacity >= Slots)
        {
            // The start: consecutive slots to each node in join order, up to its capacity.
            Started = true;
            int slot = 0;
            foreach (var (n, c) in _nodes)
                for (int k = 0; k < c && slot < _host.Length; k++, slot++)
                {
                    _host[slot] = n;
                    moves.Add(new SlotMove(slot, null, n));
                }
        }
        else if (Started)
        {
            FillVacancies(moves);
            Relieve(node, capacity, moves);
        }
        return moves;
    }

    /// <summary>Removes a node (left, removed, unreachable); its slots move to the others. Unknown nodes: no moves.</summary>
    public IReadOnlyList<SlotMove> Leave(string node)
    {
        int i = IndexOf(node);
        if (i < 0) return [];
        _nodes.RemoveAt(i);
        var moves = new List<SlotMove>();
        for (int s = 0; s < _host.Length; s++)
        {
            if (_host[s] != node) continue;
            _host[s] = null;
            moves.Add(new SlotMove(s, node, null));
        }
        if (Started) FillVacancies(moves);
        return Merge(moves);
    }

    /// <summary>Frees one slot whose worker stopped while its node stays; it is assigned again like a vacancy.</summary>
    public IReadOnlyList<SlotMove> Vacate(int slot)
    {
        if ((uint)slot >= (uint)_host.Length) throw new ArgumentOutOfRangeException(nameof(slot), slot, $"slot must be in [0, {_host.Length})");
        if (_host[slot] is not { } from) return [];
        _host[slot] = null;
        var moves = new List<SlotMove> { new(slot, from, null) };
        FillVacancies(moves);
        return Merge(moves);
    }

    private void FillVacancies(List<SlotMove> moves)
    {
        for (int s = 0; s < _host.Length; s++)
        {
            if (_host[s] is not null || _nodes.Count == 0) continue;
            string to = LeastLoaded();
            _host[s] = to;
            moves.Add(new SlotMove(s, null, to));
        }
    }

    /// <summary>The late joiner takes slots from nodes hosting more than their capacity.</summary>
    private void Relieve(string node, int capacity, List<SlotMove> moves)
    {
        while (Load(node) < capacity)
        {
            int donor = _nodes.FindIndex(n => n.Node != node && Load(n.Node) > n.Capacity);
            if (donor < 0) return;
            string from = _nodes[donor].Node;
            int slot = Array.LastIndexOf(_host, from);
            _host[slot] = node;
            moves.Add(new SlotMove(slot, from, node));
        }
    }

    /// <summary>Free capacity first (fewest slots), then the lowest slots/capacity; ties by join order.</summary>
    private string LeastLoaded()
    {
        var free = _nodes.Where(n => Load(n.Node) < n.Capacity).ToList();
        var pick = free.Count > 0
            ? free.MinBy(n => Load(n.Node))
            : _nodes.MinBy(n => (double)Load(n.Node) / n.Capacity);
        return pick.Node;
    }

    private int Load(string node) => _host.Count(h => h == node);

    private int IndexOf(string node) => _nodes.FindIndex(n => n.Node == node);

    /// <summary>A slot vacated and refilled in one step is reported as one move from old to new host.</summary>
    private static IReadOnlyList<SlotMove> Merge(List<SlotMove> moves)
    {
        var result = new List<SlotMove>();
        foreach (var m in moves)
        {
            int i = result.FindIndex(r => r.Slot == m.Slot && r.To is null);
            if (i >= 0 && m.From is null) result[i] = result[i] with { To = m.To };
            else result.Add(m);
        }
        return result;
    }
}
