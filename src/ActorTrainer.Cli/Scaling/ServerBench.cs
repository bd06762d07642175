using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Settings;
using ActorTrainer.Cli.Training;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Scaling;

/// <summary>
/// `actortrainer bench server`: how far one parameter server goes. For each parameter count P it
/// measures the server's capacity (<see cref="ServerCapacity"/>), relates it to this machine's
/// single-thread memory-copy bandwidth measured in the same run (<see cref="MemoryBandwidth"/>), and
/// times a real worker's chunk on a model of about P parameters, so the worker count at which one
/// server saturates is capacity ÷ per-worker update rate.
/// </summary>
public static class ServerBench
{
    /// <summary>The `bench server` mode.</summary>
    public static Command Create(CliContext context)
    {
        var command = new Command("server",
            "Parameter-server capacity: updates/s for P parameters with gradients back to back, as a fraction of the " +
            "memory-copy bandwidth, and the worker count that saturates it.");
        var t = new OptionTable("actortrainer.bench.server");
        var sizes = t.Add("params", "parameter counts P, comma-separated", (v, src) => ParseList(v, src.TrimStart('-')), "P,P,…");
        var optimizer = t.Add("optimizer", "the server's update rule", Values.OneOf([.. Core.Optim.Optimizers.Names]), completions: [.. Core.Optim.Optimizers.Names]);
        var seconds = t.Add("seconds", "measured seconds per size", Values.Double(1e-3, 1e6), "S");
        var batch = t.Add("batch", "streams B of the worker whose chunk rate is measured", Values.Int(1), "B");
        var chunk = t.Add("chunk", "its chunk length k", Values.Int(1), "K");
        var corpus = t.Add("corpus", "its training text (empty: the built-in corpus)", Values.Text, "FILE");
        var workerChunks = t.Add("worker-chunks", "chunks timed per size; 0 = skip the worker measurement", Values.Int(0), "N");
        t.AddTo(command);
        command.SetAction(r => Run(sizes.Read(r), optimizer.Read(r), seconds.Read(r), batch.Read(r), chunk.Read(r),
            corpus.Read(r), workerChunks.Read(r), context.Out));
        return command;
    }

    private static int Run(int[] sizes, string optimizer, double seconds, int batch, int chunk, string? corpus, int workerChunks, TextWriter stdout)
    {
        stdout.WriteLine(MachineInfo.Describe());
        double bandwidth = MemoryBandwidth.MeasureCopy();
        stdout.WriteLine(Inv($"memory copy: {MemoryBandwidth.DefaultBytes >> 20} MiB Span.CopyTo, {bandwidth / 1e9:F2} GB/s (read + write, one thread, best of 8)"));
        stdout.WriteLine(Inv($"server capacity: ParameterServerState, async, {optimizer}, pushes back to back, {seconds:0.#} s per size"));
        stdout.WriteLine("  parameters   updates/s   µs/update   MB/update   GB/s moved   of copy bw   worker chunks/s   saturating workers");
        foreach (int p in sizes)
        {
            var c = ServerCapacity.Measure(p, optimizer, seconds);
            var (rate, shape) = workerChunks > 0 ? WorkerRate(p, batch, chunk, corpus, workerChunks) : (double.NaN, "");
            string perWorker = double.IsNaN(rate) ? "-" : rate.ToString("F2", CultureInfo.InvariantCulture);
            string saturating = double.IsNaN(rate) ? "-" : c.SaturationWorkers(rate).ToString("F0", CultureInfo.InvariantCulture);
            stdout.WriteLine(Inv($"  {p,10:N0}   {c.UpdatesPerSecond,9:F1}   {1e6 / c.UpdatesPerSecond,9:F0}   {c.BytesPerUpdate / 1e6,9:F1}   {c.BytesPerSecond / 1e9,10:F2}   {c.FractionOf(bandwidth),10:P0}   {perWorker,15}   {saturating,18}{shape}"));
        }
        stdout.WriteLine("bytes/update counts what the server reads and writes per update (check g, rule incl. optimizer buffers, publish copy of W);");
        stdout.WriteLine("saturating workers = capacity ÷ one worker's chunks/s (async: one update per chunk; sync rounds need 1/n as many updates).");
        return 0;
    }

    /// <summary>Chunks per second of one real worker on a char model with about P parameters.</summary>
    public static (double ChunksPerSecond, string Shape) WorkerRate(int parameterCount, int batch, int chunk, string? corpus, int chunks)
    {
        var probe = RunSetup.Create(TrainSettingsLoader.Defaults with { Hidden = 1, Batch = batch, Chunk = chunk, Corpus = corpus, ValidationFraction = 0 }, workers: 1);
        int v = probe.Vocabulary.Size;
        int h = HiddenFor(parameterCount, v);
        var setup = RunSetup.Create(TrainSettingsLoader.Defaults with { Hidden = h, Batch = batch, Chunk = chunk, Corpus = corpus, ValidationFraction = 0 }, workers: 1);
        var computer = setup.CreateComputer(0);
        var w = setup.InitialWeights();
        var grad = new float[w.Length];
        computer.ComputeNext(w, grad); // warm-up (JIT, caches)
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < chunks; i++) computer.ComputeNext(w, grad);
        return (chunks / clock.Elapsed.TotalSeconds, Inv($"   (H={h}, V={v}, {w.Length:N0} params, B={batch}, k={chunk})"));
    }

    /// <summary>H whose char model (V in, V out) has about P parameters: H² + H(2V + 1) + V = P.</summary>
    public static int HiddenFor(int parameterCount, int v)
    {
        double b = 2.0 * v + 1, c = v - (double)parameterCount;
        return Math.Max(1, (int)Math.Round((-b + Math.Sqrt(b * b - 4 * c)) / 2));
    }

    internal static int[] ParseList(string text, string name) => text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
        .Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int x) && x > 0 ? x
            : throw new UsageException($"--{name}: '{s}' is not a positive integer (give a comma-separated list)"))
        .DefaultIfEmpty().Select(x => x > 0 ? x : throw new UsageException($"--{name} needs at least one value")).ToArray();

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
