namespace ActorTrainer.Actors.Simulation;

/// <summary>
/// One simulated core and the handlers running on it (each a node's, with its work in CPU seconds).
/// A server shard's handler preempts: while one runs, the workers' compute on the core stands still —
/// a shard's thread sleeps until a message wakes it, and Linux runs a woken sleeper at once (wakeup
/// preemption) for its µs of work. Otherwise the core is processor-shared: k worker handlers each
/// progress at 1/k — CFS/EEVDF give CPU-bound threads on one core equal shares (interleaved in slices
/// of ms, so a chunk's wall time averages k × its work, as the in-process launcher's stopwatch sees it).
/// Several shard handlers on one core share it equally among themselves.
/// Plain state, one simulation owns it; times are the simulation's virtual seconds, given in order.
/// </summary>
public sealed class SimulatedCore
{
    private sealed class Job(NodeId node, double work, bool preempts)
    {
        public NodeId Node { get; } = node;
        public bool Preempts { get; } = preempts;
        public double Remaining { get; set; } = work; // CPU seconds still to do
        public double FinishAt { get; set; }          // at the present rates
    }

    private readonly List<Job> _jobs = new();
    private double _since; // when Remaining was last brought up to date (rates are constant since)
    private int _preempting;

    /// <summary>Changes whenever the plan changes: a finish event scheduled under an older one is void.</summary>
    public long Generation { get; private set; }

    /// <summary>When the next handler is done at the present rates (∞: none running, or all stand still).</summary>
    public double NextFinish { get; private set; } = double.PositiveInfinity;

    /// <summary>A shard's handler runs here: workers on this core neither compute nor take a message.</summary>
    public bool Preempted => _preempting > 0;

    public int Running => _jobs.Count;

    /// <summary>Starts <paramref name="node"/>'s handler of <paramref name="work"/> CPU seconds at <paramref name="now"/>.</summary>
    public void Start(NodeId node, double work, bool preempts, double now)
    {
        if (!(work > 0) || double.IsInfinity(work)) throw new ArgumentOutOfRangeException(nameof(work), work, "a handler's work must be finite and positive");
        if (_jobs.Any(j => j.Node == node)) throw new InvalidOperationException($"{node} already runs a handler on this core");
        Advance(now);
        _jobs.Add(new Job(node, work, preempts));
        if (preempts) _preempting++;
        Plan(now);
    }

    /// <summary>At <paramref name="now"/> = <see cref="NextFinish"/>: the handlers done, in the order they
    /// started, removed; the others brought up to date and replanned.</summary>
    public IReadOnlyList<NodeId> Finish(double now)
    {
        Advance(now);
        var done = _jobs.Where(j => j.FinishAt <= now).ToList();
        foreach (var j in done)
        {
            _jobs.Remove(j);
            if (j.Preempts) _preempting--;
        }
        Plan(now);
        return done.Select(j => j.Node).ToArray();
    }

    /// <summary>The share of the core <paramref name="j"/> gets now: preempting handlers first, equal shares among peers.</summary>
    private double Rate(Job j) => _preempting > 0 ? (j.Preempts ? 1.0 / _preempting : 0) : 1.0 / _jobs.Count;

    private void Advance(double now)
    {
        double elapsed = now - _since;
        if (elapsed > 0)
            foreach (var j in _jobs) j.Remaining -= elapsed * Rate(j);
        _since = now;
    }

    private void Plan(double now)
    {
        Generation++;
        NextFinish = double.PositiveInfinity;
        foreach (var j in _jobs)
        {
            double rate = Rate(j);
            j.FinishAt = rate > 0 ? now + Math.Max(0, j.Remaining) / rate : double.PositiveInfinity;
            NextFinish = Math.Min(NextFinish, j.FinishAt);
        }
    }
}
