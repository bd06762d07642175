using System.Diagnostics;
using System.Globalization;
using ActorTrainer.Actors;
using ActorTrainer.Actors.Hosting;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Scaling.Simulation;

/// <summary>
/// Measures the simulation's costs on this machine, with the code the real runs use: a chunk with the
/// real computer at the run's shape, and the real <see cref="ParameterServerState"/> handling pushes
/// at a shard's slice size. Medians of repeated timings, so a moment of load elsewhere moves them less
/// than a mean would; the server on one thread, the chunk on as many as the run computes on at once. Times are measured here, never asserted in tests.
/// </summary>
public static class SimCostProbe
{
    /// <summary>Median seconds of one chunk at chunk length <paramref name="chunk"/>, with
    /// <paramref name="threads"/> workers' computers computing at once on one shared W, thread i pinned as the
    /// in-process launcher pins worker i (so 2 threads on 2 cores feel each other's cache and memory traffic,
    /// as 2 in-process workers do; time-sharing a core is the cost model's part, not the probe's). Each
    /// thread: 2 untimed chunks, then at least 7 and about <paramref name="seconds"/>.</summary>
    public static CostEstimate Chunk(IScaleTarget target, int chunk, int threads = 1, double seconds = 0.5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var computers = target.CreateComputers(threads, chunk);
        var w = target.InitialWeights();
        var times = new List<double>[threads];
        void Measure(int i)
        {
            var grad = new float[w.Length]; // (P)
            for (int c = 0; c < 2; c++) computers[i].ComputeNext(w, grad);
            times[i] = Repeat(() => computers[i].ComputeNext(w, grad), seconds, min: 7);
        }
        if (threads == 1)
            try { Measure(0); }
            catch (Exception e) { throw new ProbeFailedException($"the chunk probe (k={chunk}) failed: {e.Message}", e); }
        else
        {
            using var together = new Barrier(threads);
            var failures = new Exception?[threads];
            var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
            {
                bool started = false;
                try
                {
                    ThreadAffinity.PinCurrentThread(i);
                    together.SignalAndWait();
                    started = true;
                    Measure(i);
                }
                catch (Exception e)
                {
                    failures[i] = e;
                    if (!started) together.RemoveParticipant(); // the others do not wait for this one
                }
            }) { IsBackground = true, Name = $"chunk-probe-{i}" }).ToArray();
            foreach (var t in workers) t.Start();
            foreach (var t in workers) t.Join();
            if (failures.FirstOrDefault(f => f is not null) is { } failure) throw new ProbeFailedException($"the chunk probe (k={chunk}, {threads} threads) failed: {failure.Message}", failure);
        }
        var all = times.SelectMany(t => t).ToList();
        string how = threads == 1 ? "one thread" : $"{threads} threads computing at once, pinned as the in-process launcher pins workers 0–{threads - 1}";
        return new("chunk", Median(all), string.Create(CultureInfo.InvariantCulture,
            $"measured: median of {all.Count} chunks of the real computer at k={chunk} ({computers[0].TokensPerChunk} tokens), {how}, on this machine (mean {all.Average() * 1e6:N1} µs: the median leaves out the chunks other jobs' threads preempted)"));
    }

    /// <summary>
    /// The three server costs at <paramref name="parameterCount"/> (a shard's slice), from the real state:
    /// an async push that applies (push + update), and a sync round of two — the first push only
    /// checks and waits (push), the second closes the round (push + sum + update).
    /// </summary>
    public static (CostEstimate Push, CostEstimate Update, CostEstimate Sum) Server(int parameterCount, string optimizer, double seconds = 0.3)
    {
        var rng = new Random(1);
        float[] Random() { var a = new float[parameterCount]; for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() - 0.5) * 1e-2f; return a; } // (P)
        var w0 = Random();
        var grads = Enumerable.Range(0, 4).Select(_ => Random()).ToArray();
        var fingerprint = new ModelFingerprint(parameterCount, "probe");

        // Published snapshots come from a pool, released at once by the one "worker", as in process.
        var async = new ParameterServerState(new ServerSettings(ConsistencyMode.Async, fingerprint, long.MaxValue), w0,
            new OptimizerUpdateRule(Optimizers.Create(optimizer, 1e-4f)), snapshots: new SnapshotPool(parameterCount));
        async.Handle(new RegisterWorker(0, fingerprint));
        long chunk = 0;
        for (int i = 0; i < 3; i++) Release(async.Handle(new PushGradient(0, async.Version, chunk, grads[chunk++ % 4], 1, 1, false, 1)));
        var applying = Repeat(() => Release(async.Handle(new PushGradient(0, async.Version, chunk, grads[chunk++ % 4], 1, 1, false, 1))), seconds, min: 15);

        var sync = new ParameterServerState(new ServerSettings(ConsistencyMode.Sync, fingerprint, long.MaxValue, startQuorum: 2), w0,
            new OptimizerUpdateRule(Optimizers.Create(optimizer, 1e-4f)), snapshots: new SnapshotPool(parameterCount));
        sync.Handle(new RegisterWorker(0, fingerprint));
        sync.Handle(new RegisterWorker(1, fingerprint));
        var waiting = new List<double>();
        var closing = new List<double>();
        long c = 0;
        for (; c < 3; c++) // untimed: the first rounds allocate the round's sum and the optimizer state
        {
            Release(sync.Handle(new PushGradient(0, sync.Version, c, grads[c % 4], 1, 1, false, 1)));
            Release(sync.Handle(new PushGradient(1, sync.Version, c, grads[(c + 1) % 4], 1, 1, false, 1)));
        }
        var clock = Stopwatch.StartNew();
        for (; clock.Elapsed.TotalSeconds < seconds || closing.Count < 15; c++)
        {
            waiting.Add(Time(() => Release(sync.Handle(new PushGradient(0, sync.Version, c, grads[c % 4], 1, 1, false, 1)))));
            closing.Add(Time(() => Release(sync.Handle(new PushGradient(1, sync.Version, c, grads[(c + 1) % 4], 1, 1, false, 1)))));
        }
        double push = Median(waiting), update = Math.Max(0, Median(applying) - push), sum = Math.Max(0, Median(closing) - push - update);
        string at = $"the real ParameterServerState at {parameterCount:N0} parameters ({optimizer}), one thread, on this machine";
        return (new("push", push, $"measured: median of {waiting.Count} sync pushes that wait for the round, {at}"),
                new("update", update, $"measured: median async push that applies ({applying.Count}) minus the push cost, {at}"),
                new("sum", sum, $"measured: median push closing a sync round of 2 ({closing.Count}) minus push and update, {at}"));
    }

    private static void Release(IReadOnlyList<Outgoing> outbox)
    {
        foreach (var o in outbox) (o.Message as WeightsPublished)?.Lease?.Release();
    }

    private static List<double> Repeat(Action action, double seconds, int min)
    {
        var times = new List<double>();
        var clock = Stopwatch.StartNew();
        while (times.Count < min || clock.Elapsed.TotalSeconds < seconds) times.Add(Time(action));
        return times;
    }

    private static double Time(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    internal static double Median(IReadOnlyList<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
