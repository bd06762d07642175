using System.Diagnostics;
using System.Globalization;
using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Cli.CommandLine;
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
        ["gemm"] = GemmAsync,
        ["server"] = Scaling.ServerBench.RunAsync,
        ["transport"] = BenchTransport.RunAsync,
    };

    public const string Help = """
        usage: actortrainer bench [core|inproc|gemm|server] [options]

          core    single-thread training loop (forward+backward+clip+SGD, subsequence truncation)
                  --hidden H --batch B --chunk K --corpus FILE [--seconds S (10)] [--warmup N (5)]
          inproc  training by the actors in this process: same options plus --workers N [--mode sync]
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
        Workers = workers, ValidationFraction = 0, Mode = Enum.Parse<ConsistencyMode>(a.Get("mode") ?? "sync", true),
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
        var computer = setup.CreateComputer(0);
        var w = setup.InitialWeights();
        var grad = new float[w.Length];
        var sgd = new Sgd(settings.LearningRate);
        var state = sgd.CreateState(w.Length);
        // The training verbs, top to bottom: forward/backward + clip (computer), apply (optimizer).
        for (int i = 0; i < warmup; i++) { computer.ComputeNext(w, grad); sgd.Step(w, grad, state); }
        long chunks = 0;
        float loss = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            loss = computer.ComputeNext(w, grad).Loss;
            sgd.Step(w, grad, state);
            chunks++;
        }
        double tokS = chunks * computer.TokensPerChunk / sw.Elapsed.TotalSeconds;
        stdout.WriteLine(Invariant($"core H={settings.Hidden} B={settings.Batch} K={settings.Chunk} V={setup.Vocabulary.Size} tok/s={tokS:F0} gflops={tokS * UsefulFlopsPerToken(setup) / 1e9:F2} loss={loss:F3}"));
        return Task.FromResult(0);
    }

    private static async Task<int> InProcessAsync(ArgList a, TextWriter stdout)
    {
        double seconds = Double(a, "seconds", 10);
        int workers = Int(a, "workers", Environment.ProcessorCount);
        var settings = Shape(a, workers);
        a.RejectUnused("bench inproc");
        Validate(settings);
        var setup = RunSetup.Create(settings);
        var computers = Enumerable.Range(0, workers).Select(setup.CreateComputer).ToList();
        var w = setup.InitialWeights();
        var rule = OptimizerUpdateRule.Sgd(settings.LearningRate);
        // Warm-up segment (JIT, caches), then a measured segment sized to last about `seconds`.
        var fp = ModelFingerprint.Of(setup.Spec).Shape;
        var warm = await TrainingRun.RunAsync(new TrainingRunSettings(settings.Mode, 5 * workers, fp), computers, w, rule);
        var sw = Stopwatch.StartNew();
        int gen2 = GC.CollectionCount(2), gen0 = GC.CollectionCount(0);
        long tokens = 0;
        var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var result = await TrainingRun.RunAsync(new TrainingRunSettings(settings.Mode, long.MaxValue / 2, fp), computers, warm.Weights, rule,
            new TrainingCallbacks { OnUpdate = u => Interlocked.Add(ref tokens, u.Tokens) }, cts.Token);
        double tokS = tokens / sw.Elapsed.TotalSeconds;
        stdout.WriteLine(Invariant($"inproc workers={workers} mode={settings.Mode.ToString().ToLowerInvariant()} H={settings.Hidden} B={settings.Batch} K={settings.Chunk} tok/s={tokS:F0} updates={result.Stats.Updates} gc0={GC.CollectionCount(0) - gen0} gc2={GC.CollectionCount(2) - gen2}"));
        return 0;
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
