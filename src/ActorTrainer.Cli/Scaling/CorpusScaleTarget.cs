using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Cli.Training;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Scaling;

/// <summary>
/// The real thing: a char-level RNN on a corpus, built by <see cref="RunSetup"/> from the train
/// settings (hidden, batch, optimizer, lr, clipping, truncation, seed, corpus). Validation uses the
/// first <c>validationTokens</c> held-out characters split into 8 streams — smaller than train's,
/// because a sweep evaluates many snapshots.
/// </summary>
public sealed class CorpusScaleTarget : IScaleTarget
{
    private const int ValidationStreams = 8;
    private readonly TrainSettings _settings;
    private readonly Dictionary<(int Workers, int Chunk), RunSetup> _setups = new();
    private readonly RunSetup _base;
    private readonly Evaluator? _evaluator;
    private readonly int[][] _validation;
    private readonly float[] _w0;

    public CorpusScaleTarget(TrainSettings settings, int validationTokens)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (validationTokens < 2 * ValidationStreams)
            throw new ArgumentOutOfRangeException(nameof(validationTokens), validationTokens, $"validation needs at least {2 * ValidationStreams} tokens");
        _settings = settings;
        _base = Setup(1, settings.Chunk);
        _w0 = _base.InitialWeights();
        var held = _base.Corpus.ValidationTokens;
        held = held[..Math.Min(held.Length, validationTokens)];
        int len = held.Length / ValidationStreams;        // 8 streams of equal length, h from 0 in each
        _validation = len >= 2
            ? Enumerable.Range(0, ValidationStreams).Select(s => held.Slice(s * len, len).ToArray()).ToArray()
            : [];
        if (_validation.Length > 0) _evaluator = new Evaluator(_base.Spec, ValidationStreams, settings.Chunk);
    }

    public string Description =>
        $"corpus {_base.Corpus.Source} ({_base.Corpus.TrainTokens.Length:N0} train / {_base.Corpus.ValidationTokens.Length:N0} held-out chars, V={_base.Vocabulary.Size}); " +
        $"H={_settings.Hidden}, φ={_settings.Activation.ToString().ToLowerInvariant()}, {ParameterCount:N0} parameters; B={_settings.Batch} streams per worker; " +
        $"{_settings.Truncation.ToString().ToLowerInvariant()} truncation; {_settings.Optimizer} lr={_settings.LearningRate}; clip-norm {(_settings.ClipNorm is { } c ? c.ToString() : "none")}; " +
        $"validation on {(_validation.Length == 0 ? 0 : _validation.Length * _validation[0].Length):N0} held-out chars";

    public string ModelShape => ModelFingerprint.Of(_base.Spec).Shape;
    public int ParameterCount => _base.Spec.Shape.Count;
    public string Optimizer => _settings.Optimizer;

    public float[] InitialWeights() => _w0.ToArray();

    public IReadOnlyList<IGradientComputer> CreateComputers(int workers, int chunk)
    {
        var setup = Setup(workers, chunk);
        return Enumerable.Range(0, workers).Select(i => (IGradientComputer)setup.CreateComputer(i)).ToArray();
    }

    public IUpdateRule CreateUpdateRule() => _base.CreateUpdateRule();

    public Core.Checkpoints.ModelCheckpointData ReadCheckpoint(string checkpointPath) => _base.ReadCompatible(checkpointPath);

    public double ValidationLoss(ReadOnlySpan<float> w) => _evaluator is null ? double.NaN : _evaluator.MeanLoss(w, _validation);

    private RunSetup Setup(int workers, int chunk)
    {
        if (!_setups.TryGetValue((workers, chunk), out var setup))
            _setups[(workers, chunk)] = setup = RunSetup.Create(_settings with { Chunk = chunk, Workers = workers }, workers);
        return setup;
    }
}
