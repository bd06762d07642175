using System.CommandLine;
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
/// here, never in tests. Modes: core (the default), inproc, workers, gemm, server
/// (<see cref="Scaling.ServerBench"/>) and transport (<see cref="BenchTransport"/>).
/// </summary>
internal static class BenchCommand
{
    public static Command Create(CliContext context)
    {
        // `bench` alone is `bench core`: the same options, the same action.
        var bench = CoreCommand("bench",
            "Throughput measurements, six modes: core (the default; its options below), inproc, workers, gemm, server, transport.", context);
        bench.Subcommands.Add(CoreCommand("core",
            "The bare single-thread training loop: forward + backward + clip + SGD step, subsequence truncation, char LM. Prints tokens/s and useful GFLOP/s.", context));
        bench.Subcommands.Add(InProcessCommand(context));
        bench.Subcommands.Add(WorkersCommand(context));
        bench.Subcommands.Add(GemmCommand(context));
        bench.Subcommands.Add(Scaling.ServerBench.Create(context));
        bench.Subcommands.Add(BenchTransport.Create(context));
        return bench;
    }

    /// <summary>The model options every training bench takes (section actortrainer.bench.&lt;mode&gt;).</summary>
    private sealed class ShapeOptions
    {
        public ShapeOptions(OptionTable t, bool actors)
        {
            // ranges are checked by TrainSettings.Validate, with train's messages
            Hidden = t.Add("hidden", "hidden units H", Values.Int(), "H");
            Batch = t.Add("batch", "streams per worker B", Values.Int(), "B");
            Chunk = t.Add("chunk", "steps per chunk k", Values.Int(), "K");
            Corpus = t.Add("corpus", "training text (empty: the built-in corpus)", Values.Text, "FILE");
            Seconds = t.Add("seconds", "measured seconds", Values.Double(1e-3, 1e6), "S");
            WarmupSeconds = t.Add("warmup-seconds", "training before each measurement's clock starts (JIT, caches)", Values.Double(0, 1e6), "S");
            if (!actors) return;
            Mode = t.Add("mode", "parameter-server consistency", (v, src) => Values.Enum<ConsistencyMode>(v, src), completions: ["sync", "async", "ssp"]);
            MaxInFlight = t.Add("max-in-flight", "pushes a worker may have awaiting the server's answer (auto: by mode, as train)", TrainSettingsLoader.AutoOrPositive, "N|auto");
        }

        public CliOption<int> Hidden { get; }
        public CliOption<int> Batch { get; }
        public CliOption<int> Chunk { get; }
        public CliOption<string?> Corpus { get; }
        public CliOption<double> Seconds { get; }
        public CliOption<double> WarmupSeconds { get; }
        public CliOption<ConsistencyMode>? Mode { get; }
        public CliOption<int>? MaxInFlight { get; }

        /// <summary>The bench's run settings: the shape given, SGD with a fixed rate, no validation split.</summary>
        public TrainSettings Read(ParseResult r, int workers) => TrainSettingsLoader.Defaults with
        {
            Hidden = Hidden.Read(r), Batch = Batch.Read(r), Chunk = Chunk.Read(r),
            Corpus = Corpus.Read(r), ClipNorm = 5f, ClipValue = null, Optimizer = "sgd", LearningRate = 0.05f,
            Workers = workers, ValidationFraction = 0,
            Mode = Mode?.Read(r) ?? ConsistencyMode.Sync,
            MaxInFlight = MaxInFlight?.Read(r) ?? 0,
        };
    }

    private static Command CoreCommand(string name, string description, CliContext context)
    {
        var command = new Command(name, description);
        var t = new OptionTable("actortrainer.bench.core");
        var shape = new ShapeOptions(t, actors: false);
        var warmup = t.Add("warmup", "chunks before the clock starts (and at least --warmup-seconds)", Values.Int(0), "N");
        t.AddTo(command);
        command.SetAction(r => Core(shape.Read(r, 1), shape.Seconds.Read(r), new Warmup(warmup.Read(r), shape.WarmupSeconds.Read(r)), context.Out));
        return command;
    }

    private static Command InProcessCommand(CliContext context)
    {
        var command = new Command("inproc", "The same model trained by the actors in this process with --workers N. Prints tokens/s, updates, chunk time and GC counts.");
        var t = new OptionTable("actortrainer.bench.inproc");
        var shape = new ShapeOptions(t, actors: true);
        var workers = t.Add("workers", "worker actors (0 = one per core)", Values.Int(0, 4096), "N");
        t.AddTo(command);
        command.SetAction((r, _) =>
        {
            int n = workers.Read(r) is > 0 and var w ? w : Environment.ProcessorCount;
            return InProcessAsync(shape.Read(r, n), shape.Seconds.Read(r), shape.WarmupSeconds.Read(r), context.Out);
        });
        return command;
    }

    private static Command WorkersCommand(CliContext context)
    {
        var command = new Command("workers",
            "core and inproc interleaved in one process, round by round, for each worker count; prints every measurement, the medians, inproc/core and N-worker/1-worker ratios.");
        var t = new OptionTable("actortrainer.bench.workers");
        var shape = new ShapeOptions(t, actors: true);
        var workers = t.Add("workers", "worker counts, comma-separated; must include 1", WorkerList, "N,N,…");
        var rounds = t.Add("rounds", "interleaved rounds", Values.Int(1), "R");
        t.AddTo(command);
        command.SetAction((r, _) => WorkersAsync(shape.Read(r, 1), workers.Read(r), rounds.Read(r), shape.Seconds.Read(r), shape.WarmupSeconds.Read(r), context.Out));
        return command;
    }

    private static int[] WorkerList(string v, string src)
    {
        var counts = v.Split(',').Select(x => int.TryParse(x, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 ? n
            : throw new UsageException($"{src}: '{x}' is not a positive integer (expected a list such as 1,2)")).Distinct().ToArray();
        return counts.Contains(1) ? counts : throw new UsageException($"{src} must include 1 (ratios are against one worker)");
    }

    private static Command GemmCommand(CliContext context)
    {
        var command = new Command("gemm", "fp32 GFLOP/s of the core's GEMM kernel for an N×N×N product.");
        var t = new OptionTable("actortrainer.bench.gemm");
        var n = t.Add("n", "N", Values.Int(1, 1 << 15), "N");
        var seconds = t.Add("seconds", "measured seconds", Values.Double(1e-3, 1e6), "S");
        t.AddTo(command);
        command.SetAction(r => Gemm(n.Read(r), seconds.Read(r), context.Out));
        return command;
    }

    /// <summary>FLOPs per token of the matrix products that matter: 6·H² (recurrence fwd+bwd) + 6·V·H (output fwd+bwd).</summary>
    private static double UsefulFlopsPerToken(RunSetup s) => 6.0 * s.Spec.Shape.H * s.Spec.Shape.H + 6.0 * s.Spec.Shape.O * s.Spec.Shape.H;

    /// <summary>What runs before a bare loop's clock starts: <paramref name="Chunks"/> chunks and at least <paramref name="Seconds"/>.</summary>
    private readonly record struct Warmup(int Chunks, double Seconds);

    private static int Core(TrainSettings settings, double seconds, Warmup warmup, TextWriter stdout)
    {
        Validate(settings);
        var setup = RunSetup.Create(settings, workers: 1);
        var (tokS, loss, _) = MeasureCore(setup, settings, seconds, warmup);
        stdout.WriteLine(Invariant($"core H={settings.Hidden} B={settings.Batch} K={settings.Chunk} V={setup.Vocabulary.Size} tok/s={tokS:F0} gflops={tokS * UsefulFlopsPerToken(setup) / 1e9:F2} loss={loss:F3}"));
        return 0;
    }

    /// <summary>The bare single-thread loop on worker <paramref name="worker"/>'s streams, on the calling thread.</summary>
    /// <param name="ready">Called between warm-up and the clock's start (several loops measured over the same seconds).</param>
    /// <returns>Tokens/s, the last chunk's loss, and the mean wall time of a chunk's forward/backward/clip.</returns>
    private static (double TokS, float Loss, double ChunkMs) MeasureCore(RunSetup setup, TrainSettings settings, double seconds, Warmup warmup,
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
        // Warm-up: the chunks asked for, and at least the seconds, so caches and the JIT's code are
        // settled before the clock starts (a small shape's chunk takes microseconds).
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < warmup.Chunks || warm.Elapsed.TotalSeconds < warmup.Seconds; i++) Update();
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
    private static (double TokS, double[] ChunkMs) MeasureCores(TrainSettings settings, int n, double seconds, Warmup warmup)
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

    private static async Task<int> InProcessAsync(TrainSettings settings, double seconds, double warmupSeconds, TextWriter stdout)
    {
        int workers = settings.Workers;
        Validate(settings);
        using var system = BenchSystem();
        int gen2 = GC.CollectionCount(2), gen0 = GC.CollectionCount(0);
        var (tokS, updates, chunkMs, _) = await MeasureInProcess(system, settings, workers, seconds, warmupSeconds);
        await system.Terminate();
        stdout.WriteLine(Invariant($"inproc workers={workers} mode={settings.Mode.ToString().ToLowerInvariant()} H={settings.Hidden} B={settings.Batch} K={settings.Chunk} tok/s={tokS:F0} updates={updates} chunk_ms={chunkMs:F3} gc0={GC.CollectionCount(0) - gen0} gc2={GC.CollectionCount(2) - gen2}"));
        return 0;
    }

    private static Akka.Actor.ActorSystem BenchSystem() => Actors.Hosting.TrainerHocon.LocalSystem("bench");

    /// <summary>
    /// Training by the actors with <paramref name="workers"/> workers in <paramref name="system"/>
    /// (its start and shutdown are not training time): a warm-up run of <paramref name="warmupSeconds"/> (JIT, caches; none at 0), then a run of
    /// about <paramref name="seconds"/> from its first update. The clock runs from the first applied update to the last:
    /// tokens of updates 2..n over that span (registration and the first round are start-up).
    /// </summary>
    /// <returns>Tokens/s, updates, and the mean wall time of a chunk's forward/backward/clip inside the
    /// workers (against the bare loop's, it tells compute slowed by the setting from time spent between chunks).</returns>
    private static async Task<(double TokS, long Updates, double ChunkMs, double[] WorkerChunkMs)> MeasureInProcess(
        Akka.Actor.ActorSystem system, TrainSettings settings, int workers, double seconds, double warmupSeconds)
    {
        settings = settings with { Workers = workers };
        var setup = RunSetup.Create(settings);
        var computers = Enumerable.Range(0, workers).Select(i => new Scaling.TimedComputer(setup.CreateComputer(i))).ToList();
        var rule = OptimizerUpdateRule.Sgd(settings.LearningRate);
        var fp = ModelFingerprint.Of(setup.Spec).Shape;
        var run = new TrainingRunSettings(settings.Mode, long.MaxValue / 2, fp, maxInFlight: settings.ExplicitMaxInFlight);
        var weights = setup.InitialWeights();
        if (warmupSeconds > 0)
        {
            using var warmUp = new CancellationTokenSource(TimeSpan.FromSeconds(warmupSeconds)); // JIT, caches
            weights = (await TrainingRun.RunAsync(system, run, computers, weights, rule, cancellationToken: warmUp.Token)).Weights;
        }
        long first = 0, last = 0, tokens = 0, updates = 0;
        var computeBefore = computers.Select(c => c.ComputeSeconds).ToArray();
        var chunksBefore = computers.Select(c => c.Chunks).ToArray();
        // The window opens at the first update, so start-up on a loaded host does not eat into it; the
        // first deadline only ends a run that never updates.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds + 60));
        await TrainingRun.RunAsync(system, run, computers, weights, rule,
            new TrainingCallbacks
            {
                OnUpdate = u =>
                {
                    long now = Stopwatch.GetTimestamp();
                    if (updates++ == 0) { first = now; cts.CancelAfter(TimeSpan.FromSeconds(seconds)); }
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
    private static async Task<int> WorkersAsync(TrainSettings settings, int[] counts, int rounds, double seconds, double warmupSeconds, TextWriter stdout)
    {
        Validate(settings);

        var setup = RunSetup.Create(settings, workers: 1);
        using var system = BenchSystem();
        var core = new List<double>();
        var inproc = counts.ToDictionary(n => n, _ => new List<double>());
        var cores = counts.ToDictionary(n => n, _ => new List<double>()); // n > 1: n bare loops at once
        stdout.WriteLine(Invariant($"bench workers H={settings.Hidden} B={settings.Batch} K={settings.Chunk} mode={settings.Mode.ToString().ToLowerInvariant()} cores={Environment.ProcessorCount} rounds={rounds} seconds={seconds}"));
        // A round that is not counted: the first seconds of a process run slower (JIT, caches).
        var warmup = new Warmup(5, warmupSeconds);
        MeasureCore(setup, settings, Math.Min(seconds, 2), warmup);
        foreach (int n in counts) await MeasureInProcess(system, settings, n, Math.Min(seconds, 2), warmupSeconds);
        for (int r = 1; r <= rounds; r++)
        {
            var c = MeasureCore(setup, settings, seconds, warmup);
            core.Add(c.TokS);
            stdout.WriteLine(Invariant($"round {r} core tok/s={c.TokS:F0} chunk_ms={c.ChunkMs:F3}"));
            foreach (int n in counts)
            {
                if (n > 1)
                {
                    var p = MeasureCores(settings, n, seconds, warmup);
                    cores[n].Add(p.TokS);
                    stdout.WriteLine(Invariant($"round {r} cores={n} tok/s={p.TokS:F0} chunk_ms={string.Join(",", p.ChunkMs.Select(x => x.ToString("F3", CultureInfo.InvariantCulture)))}"));
                }
                var m = await MeasureInProcess(system, settings, n, seconds, warmupSeconds);
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

    private static int Gemm(int n, double seconds, TextWriter stdout)
    {
        double gflops = GemmBenchmark.Run(n, n, n, Transpose.No, Transpose.No, TimeSpan.FromSeconds(seconds));
        stdout.WriteLine(Invariant($"gemm n={n} gflops={gflops:F1}"));
        return 0;
    }

    private static void Validate(TrainSettings s)
    {
        if (s.Validate() is { } problem) throw new UsageException(problem);
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
