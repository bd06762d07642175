using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Cli.Settings;
using ActorTrainer.Cli.Training;

namespace ActorTrainer.Cli.Commands;

/// <summary>`actortrainer train [options]`: the main job, in one process.</summary>
internal static class TrainCommand
{
    public const string Help = """
        usage: actortrainer train [options]

        Trains an Elman RNN character model with worker actors and a parameter-server actor in this
        process. With no options it trains on a built-in English-like corpus (no download needed).
        Settings come from reference.conf < --config FILE < ACTORTRAINER_<KEY> env vars < flags.

          --corpus FILE          training text (default: built-in corpus); last 10% held out
          --hidden H             hidden units (128)
          --batch B              streams per worker (16)
          --chunk K              steps per chunk = truncation depth k (25)
          --truncation T         subsequence | k | full (subsequence)
          --activation A         tanh | identity | relu (tanh)
          --clip-norm C          global L2-norm clipping threshold, or none (5)
          --clip-value C         per-element clipping bound, or none (none)
          --optimizer O          sgd | momentum | adagrad | adam (adam)
          --lr X                 learning rate (0.002)
          --workers N            worker actors (one per core)
          --mode M               sync | async | ssp (sync)
          --staleness S          ssp bound on version lag (2)
          --max-in-flight N|auto pushes a worker may have awaiting the server's answer (auto: 2 in
                                 async, so a worker computes its next chunk during the round trip;
                                 1 in sync and ssp)
          --shards N             parameter-server shards, W split by key range (1)
          --updates N            stop after N applied updates (4000)
          --seed N               seed for initial weights and sampling (1)
          --init FILE            start from the weights of a .safetensors checkpoint
          --resume DIR           continue a run: weights, optimizer state, data position, hidden state
          --out DIR              run directory (default ./runs/<timestamp>); must be new or empty
          --eval-every N         validation loss every N updates (200)
          --checkpoint-every N   checkpoint every N updates (1000)
          --sample N             characters sampled at the end (300)
          --temperature X        sampling temperature (0.8)
          --progress on|off      live progress line on stderr (on)
          --config FILE          HOCON file(s) with actortrainer.train { ... } overrides

        Writes metrics.csv, validation.csv, loss.png, model.safetensors, checkpoints/, state.safetensors
        and sample.txt into the run directory.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Contains("--help") || args.Contains("-h")) { stdout.WriteLine(Help); return 0; }
        var list = new ArgList(args);
        var settings = TrainSettingsLoader.Load(list);
        list.RejectUnused("train");
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try { return await new TrainJob(stdout, stderr).RunAsync(settings, cts.Token); }
        finally { Console.CancelKeyPress -= onCancel; }
    }
}
