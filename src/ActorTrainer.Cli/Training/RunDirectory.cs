using System.Globalization;
using System.Text.Json;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Core.Checkpoints;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Reporting;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Training;

/// <summary>
/// A run's directory and what is in it:
/// <list type="bullet">
/// <item><c>run.json</c> — the settings the run was started with (marks the directory as a run);</item>
/// <item><c>metrics.csv</c> — one row per applied update; <c>validation.csv</c> — one row per evaluation;</item>
/// <item><c>events.out.tfevents.*</c> — the same metrics for TensorBoard (<see cref="MetricsLog"/>);</item>
/// <item><c>loss.png</c> — train and validation loss curves;</item>
/// <item><c>model.safetensors</c> — the latest weights (W_xh, W_hh, b_h, W_hy, b_y; vocabulary and settings in metadata),
/// <c>checkpoints/model-&lt;update&gt;.safetensors</c> — every checkpoint kept;</item>
/// <item><c>state.safetensors</c> — what --resume needs beyond W: optimizer buffers, each worker's hidden state and data position;</item>
/// <item><c>sample.txt</c> — text generated at the end;</item>
/// <item><c>server.json</c> — ps node only: the server's final counters and measured load (<see cref="ServerSummary"/>).</item>
/// </list>
/// Every file but the logs that grow row by row (the CSVs, the events) is written atomically (temp file
/// + rename): a crash never leaves a torn file, a failed write no temp file. All text is UTF-8, no BOM.
/// </summary>
public sealed class RunDirectory
{
    public string Path { get; }
    public string RunJson => System.IO.Path.Combine(Path, "run.json");
    public string Metrics => System.IO.Path.Combine(Path, "metrics.csv");
    public string Validation => System.IO.Path.Combine(Path, "validation.csv");
    public string LossPlot => System.IO.Path.Combine(Path, "loss.png");
    public string Model => System.IO.Path.Combine(Path, "model.safetensors");
    public string State => System.IO.Path.Combine(Path, "state.safetensors");
    public string SampleText => System.IO.Path.Combine(Path, "sample.txt");
    public string CheckpointDir => System.IO.Path.Combine(Path, "checkpoints");

    private RunDirectory(string path) => Path = path;

    /// <summary>A new run directory: --out (must not exist or be empty) or ./runs/&lt;timestamp&gt;, with its
    /// run.json. A directory that cannot be made or written (read-only, full) is bad input: UsageException,
    /// and whatever this call created is removed again, so a run that does not start leaves nothing.</summary>
    public static RunDirectory CreateNew(string? requested, TrainSettings settings, int workers)
    {
        string path = requested ?? System.IO.Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        path = System.IO.Path.GetFullPath(path);
        if (File.Exists(path)) throw new UsageException($"--out {path} is a file, not a directory");
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
            throw new UsageException($"run directory {path} already exists and is not empty; choose another --out, or --resume it");
        bool existed = Directory.Exists(path);
        var dir = new RunDirectory(path);
        try
        {
            Directory.CreateDirectory(path);
            Directory.CreateDirectory(dir.CheckpointDir);
            dir.WriteSettings(settings, workers);
            return dir;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                if (existed) { foreach (var entry in Directory.EnumerateFileSystemEntries(path)) Delete(entry); }
                else Delete(path);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException) { /* nothing was made, or it cannot be removed */ }
            throw new UsageException($"--out {path}: cannot write the run directory ({e.Message})");
        }
        static void Delete(string p) { if (Directory.Exists(p)) Directory.Delete(p, recursive: true); else File.Delete(p); }
    }

    /// <summary>An existing run to resume; it must hold run.json, model.safetensors and state.safetensors.</summary>
    public static RunDirectory OpenExisting(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(path)) throw new UsageException($"--resume {path}: no such directory");
        var dir = new RunDirectory(path);
        foreach (var f in new[] { dir.RunJson, dir.Model, dir.State })
            if (!File.Exists(f))
                throw new UsageException($"--resume {path} is not a run directory with a complete checkpoint (missing {System.IO.Path.GetFileName(f)})");
        // A resumed run rewrites metrics.csv first: find out now, before anything is changed, that it cannot.
        string probe = System.IO.Path.Combine(path, $".write-probe-{Guid.NewGuid():N}.tmp");
        try { File.WriteAllBytes(probe, []); File.Delete(probe); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--resume {path}: the run directory is not writable ({e.Message})");
        }
        return dir;
    }

    public void WriteSettings(TrainSettings settings, int workers) =>
        AtomicWrite(RunJson, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["settings"] = SettingsMap(settings, workers),
        }, new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>The settings a run was started with, as recorded in run.json.</summary>
    public IReadOnlyDictionary<string, string> ReadSettings()
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(RunJson));
            return doc.RootElement.GetProperty("settings").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new UsageException($"--resume {Path}: run.json is not a run description ({e.Message})");
        }
    }

    /// <summary>The settings that define the model and the data layout, as strings (checkpoint metadata too).</summary>
    public static Dictionary<string, string> SettingsMap(TrainSettings s, int workers) => new()
    {
        ["corpus"] = s.Corpus ?? "",
        ["hidden"] = Inv(s.Hidden), ["batch"] = Inv(s.Batch), ["chunk"] = Inv(s.Chunk), ["workers"] = Inv(workers),
        ["truncation"] = s.Truncation.ToString().ToLowerInvariant(), ["activation"] = s.Activation.ToString().ToLowerInvariant(),
        ["clip_norm"] = s.ClipNorm is { } c ? Inv(c) : "none", ["clip_value"] = s.ClipValue is { } v ? Inv(v) : "none",
        ["optimizer"] = s.Optimizer, ["lr"] = Inv(s.LearningRate), ["mode"] = s.Mode.ToString().ToLowerInvariant(),
        ["staleness"] = Inv(s.Staleness), ["max_in_flight"] = s.MaxInFlight > 0 ? Inv(s.MaxInFlight) : "auto", ["push_encoding"] = s.PushEncoding?.ToString() ?? "", ["weights_encoding"] = s.WeightsEncoding.ToString().ToLowerInvariant(), ["local_steps"] = Inv(s.LocalSteps), ["shards"] = Inv(s.Shards), ["seed"] = Inv(s.Seed), ["validation_fraction"] = Inv(s.ValidationFraction),
    };

    /// <summary>Writes model.safetensors (+ a numbered copy) and state.safetensors for a consistent point of the run.</summary>
    /// <param name="epoch">A cluster run: the parameter server's epoch (a resumed server is the next one); null in process.</param>
    public void WriteCheckpoint(RunSetup setup, ReadOnlyMemory<float> w, long updates, long version,
        OptimizerState? optimizer, IReadOnlyList<WorkerSnapshot> workers, long? epoch = null)
    {
        var meta = SettingsMap(setup.Settings, setup.Workers);
        meta["updates"] = Inv(updates);
        meta["version"] = Inv(version);
        string numbered = System.IO.Path.Combine(CheckpointDir, $"model-{updates:D7}.safetensors");
        ModelCheckpoint.Write(numbered, setup.Spec.Shape, w, setup.Vocabulary, meta);
        AtomicFile.Copy(numbered, Model);

        var tensors = new List<(string, int[], ReadOnlyMemory<float>)>();
        if (optimizer is not null)
            foreach (var (name, buffer) in optimizer.Buffers)
                tensors.Add(($"optimizer.{name}", [buffer.Length], buffer));
        var stateMeta = new Dictionary<string, string>(meta)
        {
            ["optimizer"] = setup.Settings.Optimizer,
            ["optimizer.step_count"] = Inv(optimizer?.StepCount ?? 0),
            ["workers"] = Inv(workers.Count),
        };
        if (epoch is { } e) stateMeta["epoch"] = Inv(e);
        foreach (var s in workers)
        {
            int i = s.FirstStream / setup.Settings.Batch;
            tensors.Add(($"worker.{i}.hidden", [s.StreamCount, setup.Settings.Hidden], s.Hidden));
            stateMeta[$"worker.{i}.first_stream"] = Inv(s.FirstStream);
            stateMeta[$"worker.{i}.next_chunk"] = Inv(s.NextChunk);
        }
        SafetensorsFile.Write(State, tensors, stateMeta);
    }

    /// <summary>What state.safetensors holds beyond W, for --resume: the optimizer state, the update count
    /// and version, and each of the <paramref name="workers"/> workers' (slots') data position and h.</summary>
    public CheckpointState ReadCheckpointState(RunSetup setup, int workers)
    {
        SafetensorsContent state;
        try { state = SafetensorsFile.Read(State); SafetensorsFile.RequireFinite(state); }
        catch (CheckpointException e) { throw new UsageException($"--resume {Path}: state.safetensors cannot be resumed from: {e.Message}"); }
        long Meta(string key) => state.Metadata.TryGetValue(key, out var v) && long.TryParse(v, CultureInfo.InvariantCulture, out long x) ? x
            : throw new UsageException($"--resume {Path}: state.safetensors lacks '{key}'");
        var buffers = state.Tensors.Where(t => t.Name.StartsWith("optimizer.", StringComparison.Ordinal))
            .Select(t => (t.Name["optimizer.".Length..], t.Data)).ToList();
        OptimizerState? optimizer = buffers.Count == 0 ? null : new OptimizerState(setup.Spec.Shape.Count, buffers, Meta("optimizer.step_count"));
        var snapshots = new List<WorkerSnapshot>();
        for (int i = 0; i < workers; i++)
        {
            if (!state.TryGet($"worker.{i}.hidden", out var hidden))
                throw new UsageException($"--resume {Path}: state.safetensors has no hidden state for worker {i}");
            snapshots.Add(new WorkerSnapshot((int)Meta($"worker.{i}.first_stream"), setup.Settings.Batch, Meta($"worker.{i}.next_chunk"), hidden.Data));
        }
        long epoch = state.Metadata.ContainsKey("epoch") ? Meta("epoch") : 0;
        return new CheckpointState(optimizer, Meta("updates"), Meta("version"), snapshots, epoch);
    }

    /// <summary>Writes text as UTF-8 (no BOM) atomically; see <see cref="AtomicFile.WriteAllText"/>.</summary>
    public static void AtomicWrite(string path, string text) => AtomicFile.WriteAllText(path, text);

    private static string Inv(IFormattable x) => x.ToString(null, CultureInfo.InvariantCulture);
}

/// <summary>state.safetensors read back: optimizer state, update count, version, each worker's position and h,
/// and a cluster run's server epoch (0 when not recorded).</summary>
public sealed record CheckpointState(OptimizerState? Optimizer, long Updates, long Version, IReadOnlyList<WorkerSnapshot> Workers, long Epoch);
