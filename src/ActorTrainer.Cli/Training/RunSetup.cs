using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Cli.CommandLine;
using ActorTrainer.Core.Checkpoints;
using ActorTrainer.Core.Compression;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Training;
using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Cli.Training;

/// <summary>
/// Everything a run derives from its settings: the corpus and its layout over all workers' streams,
/// the model spec, the truncation scheme, one gradient computer per worker, initial weights, the
/// server's update rule and the validation evaluator. Plain objects, shared by `train`, `node` and `scale`.
/// </summary>
public sealed class RunSetup
{
    /// <summary>Held-out tokens evaluated per validation (a prefix of the validation text), to keep it cheap.</summary>
    public const int MaxValidationTokens = 40_000;
    private const int ValidationStreams = 8;

    public TrainSettings Settings { get; }
    public CharCorpus Corpus { get; }
    public ModelSpec Spec { get; }
    public TruncationScheme Scheme { get; }
    public int Workers { get; }
    /// <summary>All streams of all workers: S = workers · B (the core's layout contract).</summary>
    public StreamLayout Layout { get; }
    public Vocabulary Vocabulary => Corpus.Vocabulary;

    private readonly Evaluator? _evaluator;
    private readonly IReadOnlyList<int[]> _validationStreams;

    private RunSetup(TrainSettings settings, CharCorpus corpus, int workers)
    {
        Settings = settings;
        Corpus = corpus;
        Workers = workers;
        int v = corpus.Vocabulary.Size;
        Spec = new ModelSpec(new ModelShape(v, settings.Hidden, v), settings.Activation, LossKind.SoftmaxCrossEntropy);
        Scheme = settings.Truncation switch
        {
            TruncationKind.Subsequence => new TruncationScheme.Subsequence(settings.Chunk),
            TruncationKind.K => new TruncationScheme.KStep(settings.Chunk),
            _ => new TruncationScheme.Full(),
        };
        int streams = workers * settings.Batch;
        if (corpus.TrainTokens.Length < streams * (settings.Chunk + 1))
            throw new UsageException(
                $"corpus {corpus.Source} has {corpus.TrainTokens.Length} training characters, fewer than workers·batch·(chunk+1) = {workers}·{settings.Batch}·{settings.Chunk + 1} = {streams * (settings.Chunk + 1)}; use a longer corpus or fewer workers/streams or a shorter chunk");
        Layout = new StreamLayout(corpus.TrainTokens.Length, streams, settings.Chunk);

        _validationStreams = SplitValidation(corpus.ValidationTokens.Span, settings.Chunk);
        if (_validationStreams.Count > 0) _evaluator = new Evaluator(Spec, _validationStreams.Count, settings.Chunk);
    }

    /// <summary>Loads the corpus (the embedded default when none is given) and derives the rest.</summary>
    public static RunSetup Create(TrainSettings settings, int? workers = null)
    {
        var corpus = settings.Corpus is null
            ? DefaultCorpus.Load(settings.ValidationFraction)
            : CharCorpus.FromFile(settings.Corpus, settings.ValidationFraction);
        return new RunSetup(settings, corpus, workers ?? settings.EffectiveWorkers);
    }

    /// <summary>Worker i owns streams i·B … i·B+B−1.</summary>
    public StreamGradientComputer CreateComputer(int worker) =>
        new(Spec, Scheme, Corpus.TrainTokens, Layout, worker * Settings.Batch, Settings.Batch, Settings.ClipNorm, Settings.ClipValue);

    /// <summary>Seeded initial W, or the weights of --init (shape and vocabulary must match).</summary>
    public float[] InitialWeights()
    {
        if (Settings.Init is null) return Initializer.Create(Spec.Shape, Settings.Seed);
        return ReadCompatible(Settings.Init).W;
    }

    /// <summary>Reads a checkpoint and checks it fits this run; mismatches become a user-facing error.</summary>
    public ModelCheckpointData ReadCompatible(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"checkpoint not found: {path}");
        try { return ModelCheckpoint.Read(path, Spec.Shape, Vocabulary); }
        catch (CheckpointException e) { throw new UsageException($"checkpoint {path} does not fit this run: {e.Message}"); }
    }

    /// <summary>The server's rule: the run's optimizer, or when workers push changes of W (local steps,
    /// top-k: <see cref="GradientEncoding.PushesDeltas"/>) SGD at lr 1 on their mean change W₀ − W_loc.</summary>
    public OptimizerUpdateRule CreateUpdateRule(OptimizerState? restored = null) =>
        GradientEncoding.PushesDeltas(Settings.PushEncoding!, Settings.LocalSteps)
        ? new(new Sgd(1f), restored)
        : new(Optimizers.Create(Settings.Optimizer, Settings.LearningRate), restored);

    /// <summary>Mean cross-entropy (nats/char) of W on the held-out text; NaN when there is none.</summary>
    public double ValidationLoss(ReadOnlySpan<float> w) =>
        _evaluator is null ? double.NaN : _evaluator.MeanLoss(w, _validationStreams);

    public string Sample(ReadOnlySpan<float> w, int length, int seed)
    {
        if (length == 0) return "";
        var prime = Corpus.TrainTokens.Span[..1]; // the corpus's first character (a whole Rune, never half an emoji)
        var tokens = Sampler.Sample(Spec, w, prime, length, Settings.Temperature, new Random(seed));
        return Vocabulary.Decode(prime) + Vocabulary.Decode(tokens);
    }

    private static IReadOnlyList<int[]> SplitValidation(ReadOnlySpan<int> tokens, int k)
    {
        tokens = tokens[..Math.Min(tokens.Length, MaxValidationTokens)];
        int streams = Math.Min(ValidationStreams, tokens.Length / (k + 1));
        if (streams == 0) return [];
        int len = tokens.Length / streams;
        var result = new int[streams][];
        for (int s = 0; s < streams; s++) result[s] = tokens.Slice(s * len, len).ToArray();
        return result;
    }
}
