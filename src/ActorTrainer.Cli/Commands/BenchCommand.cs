using System.Diagnostics;
using System.Globalization;
using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Settings;
using ActorTrainer.Cli.Training;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Kernels;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Commands;

/// <summary>
/// `actortrainer bench [mode] [options]`: throughput measurements for README tables. Speed lives
/// here, never in tests. Modes:
///   core    (default) the bare single-thread training loop: forward + backward + clip + SGD step,
///           subsequence truncation, char LM; prints tokens/s.
///   inproc  the same model trained by the actors in this process with --workers N; prints tokens/s.
///   gemm    fp32 GEMM GFLOP/s of the core's kernel for an N×N×N product.
/// </summary>
internal static class BenchCommand
{
    private static readonly Dictionary<string, Func<ArgList, TextWriter, Task<int>>> Modes = new()
    {
        ["core"] = CoreAsync,
        ["inproc"] = InProcessAsync,
        ["workers"] = WorkersAsync,
        ["gemm"] = GemmAsync,
        ["server"] = Scaling.ServerBench.RunAsync,
        ["transport"] = BenchTransport.RunAsync,
    };

    public const string Help = """
        usage: actortrainer bench [core|inproc|workers|gemm|server|transport] [options]

          core    single-thread training loop (forward+backward+clip+SGD, subsequence truncation)
                  --hidden H --batch B --chunk K --corpus FILE [--seconds S (10)] [--warmup N chunks (5), and ≥ 1 s]
          inproc  training by the actors in this process: same options plus --workers N [--mode sync]
                  [--max-in-flight N|auto (auto: by mode, as train)]
          workers core and inproc interleaved in one process: same options plus --workers 1,2 (a list)
                  [--rounds R (3)] [--seconds S (6)]; prints medians, inproc/core and N-worker/1-worker
          gemm    --n N [--seconds S]: GFLOP/s of the core GEMM kernel for N×N×N
        Prints one line: tokens/s (and useful GFLOP/s), or GFLOP/s for gemm.
        """ + "\n" + Scaling.ServerBench.Help + "\n" + BenchTransport.Help;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Contains("--help") || args.Contains("-h")) { stdout.WriteLine(Help); return 0; }
        string mode = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "core";
        if (!Modes.TryGetValue(mode, out var run))
            throw new UsageException($"unknown bench mode '{mode}' (expected one of: {string.Join(", ", Modes.Keys)})");
        var list = new ArgList(mode == args.FirstOrDefault() ? args[1..] : args);
        return await run(list, stdout);
    }

    private static TrainSettings Shape(ArgList a, int workers) => new TrainSettings
    {
        Hidden = Int(a, "hidden", 256), Batch = Int(a, "batch", 32), Chunk = Int(a, "chunk", 50),
        Corpus = a.Get("corpus"), ClipNorm = 5f, Optimizer = "sgd", LearningRate = 0.05f,
        Workers = workers, ValidationFraction = 0,
        // parsed as train parses them: the same values, the same messages
        Mode = a.Get("mode") is { } mode ? TrainSettingsLoader.Enum<ConsistencyMode>(mode, "--mode", "sync, async, ssp") : ConsistencyMode.Sync,
        MaxInFlight = a.Get("max-in-flight") is { } m ? TrainSettingsLoader.AutoOrPositive(m, "--max-in-flight") : 0,
    };

    /// <summary>FLOPs per token of the matrix products that matter: 6·H² (recurrence fwd+bwd) + 6·V·H (output fwd+bwd).</summary>
    private static double UsefulFlopsPerToken(RunSetup s) => 6.0 * s.Spec.Shape.H * s.Spec.Shape.H + 6.0 * s.Spec.Shape.O * s.Spec.Shape.H;

    private static Task<int> CoreAsync(ArgList a, TextWriter stdout)
    {
        double seconds = Double(a, "seconds", 10);
        int warmup = Int(a, "warmup", 5);
        var settings = Shape(a, 1);
        a.RejectUnused("bench core");
        Validate(settings);
        var setup = RunSetup.Create(settings, workers: 1);
        var (tokS, loss, _) = MeasureCore(setup, settings, seconds, warmup);
        stdout.WriteLine(Invariant($"core H={settings.Hidden} B={settings.Batch} K={settings.Chunk} V={setup.Vocabulary.Size} tok/s={tokS:F0} gflops={tokS * UsefulFlopsPerToken(setup) / 1e9:F2} loss={loss:F3}"));
        return Task.FromResult(0);
    }

    /// <summary>The bare single-thread loop on worker <paramref name="worker"/>'s streams, on the calling thread.</summary>
    /// <param name="ready">Called between warm-up and the clock's start (several loops measured over the same seconds).</param>
    /// <returns>Tokens/s, the last chunk's loss, and the mean wall time of a chunk's forward/backward/clip.</returns>
    private static (double TokS, float Loss, double ChunkMs) MeasureCore(RunSetup setup, TrainSettings settings, double seconds, int warmup,
        int worker = 0, Action? ready = null)
    {
        var computer = new Scaling.TimedComputer(setup.CreateComputer(worker)); // chunk time as the workers' (bench inproc) is taken
        var w = setup.InitialWeights();
        var grad = new float[w.Length];
        var sgd = new Sgd(settings.LearningRate);
        var state = sgd.CreateState(w.Length);
        // One update: the shared training step (computer: forward, backward, clip), then apply.
        float Update()
        {
            float chunkLoss = computer.ComputeNext(w, grad).Loss;
            sgd.Step(w, grad, state);
            return chunkLoss;
        }
        // Warm-up: the chunks asked for, and at least a second, so caches and the JIT's code are
        // settled before the clock starts (a small shape's chunk takes microseconds).
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < warmup || warm.Elapsed.TotalSeconds < 1; i++) Update();
        ready?.Invoke();
        long chunks = 0, chunksBefore = computer.Chunks;
        double computeBefore = computer.ComputeSeconds;
        float loss = 0;
        var sw = Stopwatch.StartNew();
        for (; sw.Elapsed.TotalSeconds < seconds; chunks++) loss = Update();
        double chunkMs = 1e3 * (computer.ComputeSeconds - computeBefore) / (computer.Chunks - chunksBefore);
        return (chunks * computer.TokensPerChunk / sw.Elapsed.TotalSeconds, loss, chunkMs);
    }

    /// <summary>
    /// <paramref name="n"/> bare loops at once, one per thread, thread i pinned as worker i is, each on
    /// worker i's streams with its own W: what this host gives n independent single-thread loops — the
    /// ceiling for n workers, whatever the actors cost.
    /// </summary>
    /// <returns>Total tokens/s, and each loop's mean chunk wall time.</returns>
    private static (double TokS, double[] ChunkMs) MeasureCores(TrainSettings settings, int n, double seconds, int warmup)
    {
        var setup = RunSetup.Create(settings with { Workers = n });
        var loops = new (double TokS, float Loss, double ChunkMs)[n];
        using var ready = new Barrier(n);
        var threads = Enumerable.Range(0, n).Select(i => new Thread(() =>
        {
            Actors.Hosting.ThreadAffinity.PinCurrentThread(i);
            loops[i] = MeasureCore(setup, settings, seconds, warmup, worker: i, ready: () => ready.SignalAndWait());
        }) { IsBackground = true, Name = $"bench-core-{i}" }).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        return (loops.Sum(l => l.TokS), loops.Select(l => l.ChunkMs).ToArray());
    }

    private static async Task<int> InProcessAsync(ArgList a, TextWriter stdout)
    {
        double seconds = Double(a, "seconds", 10);
        int workers = Int(a, "workers", Environment.ProcessorCount);
        var settings = Shape(a, workers);
        a.RejectUnused("bench inproc");
        Validate(settings);
        using var system = BenchSystem();
        int gen2 = GC.CollectionCount(2), gen0 = GC.CollectionCount(0);
        var (tokS, updates, chunkMs, _) = await MeasureInProcess(system, settings, workers, seconds);
        await system.Terminate();
        stdout.WriteLine(Invariant($"inproc workers={workers} mode={settings.Mode.ToString().ToLowerInvariant()} H={settings.Hidden} B={settings.Batch} K={settings.Chunk} tok/s={tokS:F0} updates={updates} chunk_ms={chunkMs:F3} gc0={GC.CollectionCount(0) - gen0} gc2={GC.CollectionCount(2) - gen2}"));
        return 0;
    }

    private static Akka.Actor.ActorSystem BenchSystem() => Akka.Actor.ActorSystem.Create("bench",
        Akka.Configuration.ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING")
            .WithFallback(Actors.Hosting.TrainerHocon.Config));

    /// <summary>
    /// Training by the actors with <paramref name="workers"/> workers in <paramref name="system"/>
    /// (its start and shutdown are not training time): a warm-up run of a second (JIT, caches), then a run of
    /// about <paramref name="seconds"/>. The clock runs from the first applied update to the last:
    /// tokens of updates 2..n over that span (registration and the first round are start-up).
    /// </summary>
    /// <returns>Tokens/s, updates, and the mean wall time of a chunk's forward/backward/clip inside the
    /// workers (against the bare loop's, it tells compute slowed by the setting from time spent between chunks).</returns>
    private static async Task<(double TokS, long Updates, double ChunkMs, double[] WorkerChunkMs)> MeasureInProcess(
        Akka.Actor.ActorSystem system, TrainSettings settings, int workers, double seconds)
    {
        settings = settings with { Workers = workers };
        var setup = RunSetup.Create(settings);
        var computers = Enumerable.Range(0, workers).Select(i => new Scaling.TimedComputer(setup.CreateComputer(i))).ToList();
        var rule = OptimizerUpdateRule.Sgd(settings.LearningRate);
        var fp = ModelFingerprint.Of(setup.Spec).Shape;
        TrainingResult warm;
        var run = new TrainingRunSettings(settings.Mode, long.MaxValue / 2, fp, maxInFlight: settings.ExplicitMaxInFlight);
        using (var warmUp = new CancellationTokenSource(TimeSpan.FromSeconds(1))) // JIT, caches
            warm = await TrainingRun.RunAsync(system, run, computers, setup.InitialWeights(), rule,
                cancellationToken: warmUp.Token);
        long first = 0, last = 0, tokens = 0, updates = 0;
        var computeBefore = computers.Select(c => c.ComputeSeconds).ToArray();
        var chunksBefore = computers.Select(c => c.Chunks).ToArray();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        await TrainingRun.RunAsync(system, run, computers, warm.Weights, rule,
            new TrainingCallbacks
            {
                OnUpdate = u =>
                {
                    long now = Stopwatch.GetTimestamp();
                    if (updates++ == 0) first = now;
                    else tokens += u.Tokens;
                    last = now;
                },
            }, cts.Token);
        if (updates < 2) throw new UsageException($"bench: only {updates} update(s) in {seconds} s; give it more --seconds");
        double chunkMs = 1e3 * (computers.Sum(c => c.ComputeSeconds) - computeBefore.Sum()) / (computers.Sum(c => c.Chunks) - chunksBefore.Sum());
        var perWorker = computers.Select((c, i) => 1e3 * (c.ComputeSeconds - computeBefore[i]) / Math.Max(1, c.Chunks - chunksBefore[i])).ToArray();
        return (tokens / Stopwatch.GetElapsedTime(first, last).TotalSeconds, updates, chunkMs, perWorker);
    }

    /// <summary>
    /// `bench workers`: the bare loop and in-process training with each worker count, interleaved
    /// round by round in one process so that a shared machine's drift hits all of them alike;
    /// prints every measurement, then the medians and the ratios the README reports.
    /// </summary>
    private static async Task<int> WorkersAsync(ArgList a, TextWriter stdout)
    {
        double seconds = Double(a, "seconds", 6);
        int rounds = Int(a, "rounds", 3);
        string list = a.Get("workers") ?? "1,2";
        var settings = Shape(a, 1);
        a.RejectUnused("bench workers");
        Validate(settings);
        if (rounds <= 0) throw new UsageException($"--rounds must be positive (got {rounds})");
        var counts = list.Split(',').Select(x => int.TryParse(x, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 ? n
            : throw new UsageException($"--workers: '{x}' is not a positive integer (expected a list such as 1,2)")).Distinct().ToArray();
        if (!counts.Contains(1)) throw new UsageException("--workers must include 1 (ratios are against one worker)");

        var setup = RunSetup.Create(settings, workers: 1);
        using var system = BenchSystem();
        var core = new List<double>();
        var inproc = counts.ToDictionary(n => n, _ => new List<double>());
        var cores = counts.ToDictionary(n => n, _ => new List<double>()); // n > 1: n bare loops at once
        stdout.WriteLine(Invariant($"bench workers H={settings.Hidden} B={settings.Batch} K={settings.Chunk} mode={settings.Mode.ToString().ToLowerInvariant()} cores={Environment.ProcessorCount} rounds={rounds} seconds={seconds}"));
        // A round that is not counted: the first seconds of a process run slower (JIT, caches).
        MeasureCore(setup, settings, Math.Min(seconds, 2), warmup: 5);
        foreach (int n in counts) await MeasureInProcess(system, settings, n, Math.Min(seconds, 2));
        for (int r = 1; r <= rounds; r++)
        {
            var c = MeasureCore(setup, settings, seconds, warmup: 5);
            core.Add(c.TokS);
            stdout.WriteLine(Invariant($"round {r} core tok/s={c.TokS:F0} chunk_ms={c.ChunkMs:F3}"));
            foreach (int n in counts)
            {
                if (n > 1)
                {
                    var p = MeasureCores(settings, n, seconds, warmup: 5);
                    cores[n].Add(p.TokS);
                    stdout.WriteLine(Invariant($"round {r} cores={n} tok/s={p.TokS:F0} chunk_ms={string.Join(",", p.ChunkMs.Select(x => x.ToString("F3", CultureInfo.InvariantCulture)))}"));
                }
                var m = await MeasureInProcess(system, settings, n, seconds);
                inproc[n].Add(m.TokS);
                stdout.WriteLine(Invariant($"round {r} inproc workers={n} tok/s={m.TokS:F0} chunk_ms={m.ChunkMs:F3} per_worker={string.Join(",", m.WorkerChunkMs.Select(x => x.ToString("F3", CultureInfo.InvariantCulture)))}"));
            }
        }
        await system.Terminate();
        double coreMedian = Median(core), one = Median(inproc[1]);
        stdout.WriteLine(Invariant($"median core tok/s={coreMedian:F0}"));
        // paired_vs_one_worker: the median of each round's own ratio (N workers / 1 worker, measured seconds
        // apart) — on a host whose speed drifts between rounds it is the steadier estimate of the ratio.
        // cores=N: N bare loops at once, against one (paired by round): what the host gives N threads, the
        // ceiling for N workers; vs_cores: the N workers against it, the share the actors keep.
        foreach (int n in counts.Where(n => n > 1))
            stdout.WriteLine(Invariant($"median cores={n} tok/s={Median(cores[n]):F0} paired_vs_core={Median(cores[n].Zip(core, (x, y) => x / y).ToList()):F3}"));
        foreach (int n in counts)
            stdout.WriteLine(Invariant($"median inproc workers={n} tok/s={Median(inproc[n]):F0} vs_core={Median(inproc[n]) / coreMedian:F3} vs_one_worker={Median(inproc[n]) / one:F3} paired_vs_one_worker={Median(inproc[n].Zip(inproc[1], (x, y) => x / y).ToList()):F3}")
                + (n > 1 ? Invariant($" paired_vs_cores={Median(inproc[n].Zip(cores[n], (x, y) => x / y).ToList()):F3}") : ""));
        return 0;
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private static Task<int> GemmAsync(ArgList a, TextWriter stdout)
    {
        int n = Int(a, "n", 512);
        double seconds = Double(a, "seconds", 3);
        a.RejectUnused("bench gemm");
        if (n <= 0) throw new UsageException($"--n must be positive (got {n})");
        double gflops = GemmBenchmark.Run(n, n, n, Transpose.No, Transpose.No, TimeSpan.FromSeconds(seconds));
        stdout.WriteLine(Invariant($"gemm n={n} gflops={gflops:F1}"));
        return Task.FromResult(0);
    }

    private static void Validate(TrainSettings s)
    {
        if (s.Validate() is { } problem) throw new UsageException(problem);
    }

    internal static int Int(ArgList a, string name, int fallback)
    {
        string? v = a.Get(name);
        if (v is null) return fallback;
        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int x) ? x
            : throw new UsageException($"--{name}: '{v}' is not an integer");
    }

    internal static double Double(ArgList a, string name, double fallback)
    {
        string? v = a.Get(name);
        if (v is null) return fallback;
        return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && double.IsFinite(x) && x > 0 ? x
            : throw new UsageException($"--{name}: '{v}' is not a positive number");
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
