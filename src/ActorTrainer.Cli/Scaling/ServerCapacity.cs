using System.Diagnostics;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Scaling;

/// <summary>One capacity measurement of a parameter server for P parameters.</summary>
/// <param name="UpdatesPerSecond">Updates one server applied per second with gradients arriving back to back.</param>
/// <param name="BytesPerUpdate">Memory traffic of one update by the model in <see cref="ServerCapacity.BytesPerUpdate"/>.</param>
public sealed record CapacityResult(int ParameterCount, string Optimizer, long Updates, double Seconds, double UpdatesPerSecond, long BytesPerUpdate)
{
    /// <summary>Bytes the server moves per second at capacity (model bytes × updates/s).</summary>
    public double BytesPerSecond => BytesPerUpdate * UpdatesPerSecond;

    /// <summary>Capacity as a fraction of a copy bandwidth (bytes/s, read + write): how close the
    /// server comes to being memory-bound.</summary>
    public double FractionOf(double copyBandwidth) => BytesPerSecond / copyBandwidth;

    /// <summary>Workers one server can keep up with when each produces <paramref name="workerUpdatesPerSecond"/>
    /// gradients per second (async: one update per gradient): capacity ÷ per-worker rate.</summary>
    public double SaturationWorkers(double workerUpdatesPerSecond) => UpdatesPerSecond / workerUpdatesPerSecond;
}

/// <summary>
/// How many updates per second one parameter server sustains for P parameters when gradients
/// arrive back to back: drives a <see cref="ParameterServerState"/> directly (async mode, one
/// registered worker, a few pre-made gradients pushed in turn), so nothing but the server's own work
/// is timed — validation of the push, the update rule and the copy of W published to the workers,
/// into a pooled array as in process (the one "worker" releases each snapshot at once). The actor's mailbox and thread hops are not included (a few µs per
/// message, small beside an O(P) update at large P). Time is measured here, never asserted in tests.
/// </summary>
public static class ServerCapacity
{
    /// <summary>
    /// Memory traffic of one async update (one contributor) by counting what the server reads and
    /// writes, 4 bytes per float: finiteness check of g (read P), the rule (read g and w, write w, plus
    /// read and write each optimizer buffer: Adam's m and v) and the published copy of W (read P, write P)
    /// into a reused array.
    /// </summary>
    public static long BytesPerUpdate(int parameterCount, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        long p = parameterCount;
        long check = 4 * p, rule = 12 * p + 8 * p * optimizer.BufferNames.Count, publish = 8 * p;
        return check + rule + publish;
    }

    /// <summary>Measures for about <paramref name="seconds"/> after <paramref name="warmupUpdates"/> untimed updates.</summary>
    public static CapacityResult Measure(int parameterCount, string optimizer = "adam", double seconds = 2, int warmupUpdates = 5, int seed = 1)
    {
        if (parameterCount <= 0) throw new ArgumentOutOfRangeException(nameof(parameterCount), parameterCount, "parameter count must be positive");
        if (!(seconds > 0)) throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "seconds must be positive");
        if (warmupUpdates < 0) throw new ArgumentOutOfRangeException(nameof(warmupUpdates), warmupUpdates, "warm-up must be ≥ 0");
        var opt = Optimizers.Create(optimizer, 1e-4f);
        var fingerprint = new ModelFingerprint(parameterCount, "capacity");
        var settings = new ServerSettings(ConsistencyMode.Async, fingerprint, maxUpdates: long.MaxValue);
        var rng = new Random(seed);
        var w0 = new float[parameterCount]; // (P)
        for (int i = 0; i < w0.Length; i++) w0[i] = (float)(rng.NextDouble() - 0.5);
        var server = new ParameterServerState(settings, w0, new OptimizerUpdateRule(opt), snapshots: new SnapshotPool(parameterCount));
        server.Handle(new RegisterWorker(0, fingerprint));

        // A few distinct gradients, pushed in turn: the server does not keep a pushed array (async),
        // so reusing them is safe and keeps the worker's allocation out of the timing.
        var gradients = new float[4][];
        for (int k = 0; k < gradients.Length; k++)
        {
            gradients[k] = new float[parameterCount]; // (P)
            for (int i = 0; i < parameterCount; i++) gradients[k][i] = (float)(rng.NextDouble() - 0.5) * 1e-2f;
        }

        long chunk = 0;
        void Push()
        {
            var outbox = server.Handle(new PushGradient(0, server.Version, chunk, gradients[chunk++ % gradients.Length], 1f, 1.0, false, 1));
            foreach (var o in outbox) (o.Message as WeightsPublished)?.Lease?.Release(); // the worker takes it
        }
        for (int i = 0; i < warmupUpdates; i++) Push();

        long before = server.Updates;
        var clock = Stopwatch.StartNew();
        do Push(); while (clock.Elapsed.TotalSeconds < seconds);
        double elapsed = clock.Elapsed.TotalSeconds;
        long updates = server.Updates - before;
        if (updates != chunk - warmupUpdates) throw new InvalidOperationException($"the server applied {updates} of {chunk - warmupUpdates} pushes");
        return new CapacityResult(parameterCount, opt.Name, updates, elapsed, updates / elapsed, BytesPerUpdate(parameterCount, opt));
    }
}
