using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Actors.Tests.Coordinator;

public sealed class TrainingRunSettingsTests
{
    [Fact]
    public void From_takes_the_run_settings_of_the_cli_and_the_model_shape_of_the_spec()
    {
        var cli = new TrainSettings { Mode = ConsistencyMode.Ssp, Updates = 321, Staleness = 3, EvalEvery = 40, Shards = 1, PushEncoding = ActorTrainer.Core.Compression.GradientEncoding.Fp32, LocalSteps = 1 };
        var spec = new ModelSpec(new ModelShape(65, 128, 65), Activation.Tanh, LossKind.SoftmaxCrossEntropy);
        var s = TrainingRunSettings.From(cli, spec);

        Assert.Equal((ConsistencyMode.Ssp, 321L, 3, 40), (s.Mode, s.MaxUpdates, s.Staleness, s.ValidateEvery));
        Assert.Equal("V=65,H=128,O=65,phi=Tanh,loss=SoftmaxCrossEntropy", s.ModelShape);
        var server = s.ToServerSettings(spec.Shape.Count, workerCount: 4, snapshotsForValidation: true);
        Assert.Equal((spec.Shape.Count, 4, 40), (server.Fingerprint.ParameterCount, server.StartQuorum, server.ObserverSnapshotEvery));
        Assert.Equal(s.ModelShape, server.Fingerprint.Shape);
        Assert.Equal(s.ModelShape, s.ToWorkerSettings().ModelShape);
    }

    [Theory]
    [InlineData(ConsistencyMode.Async, 0, 2)]  // the next chunk is computed during the round trip
    [InlineData(ConsistencyMode.Sync, 0, 1)]   // a worker waits for the round's weights anyway
    [InlineData(ConsistencyMode.Sync, 3, 1)]
    [InlineData(ConsistencyMode.Ssp, 0, 1)]    // the staleness bound is the user's, not spent on the worker's own push
    [InlineData(ConsistencyMode.Ssp, 2, 1)]
    public void The_in_flight_limit_defaults_by_mode_and_an_explicit_one_wins(ConsistencyMode mode, int staleness, int expected)
    {
        Assert.Equal(expected, new TrainingRunSettings(mode, 10, staleness: staleness).MaxInFlight);
        Assert.Equal(expected, new TrainingRunSettings(mode, 10, staleness: staleness).ToWorkerSettings().MaxInFlight);
        Assert.Equal(3, new TrainingRunSettings(mode, 10, staleness: staleness, maxInFlight: 3).ToWorkerSettings().MaxInFlight);
        var spec = new ModelSpec(new ModelShape(5, 4, 5), Activation.Tanh, LossKind.SoftmaxCrossEntropy);
        Assert.Equal(expected, TrainingRunSettings.From(new TrainSettings { Mode = mode, Staleness = staleness, Updates = 10, Shards = 1, PushEncoding = ActorTrainer.Core.Compression.GradientEncoding.Fp32, LocalSteps = 1 }, spec).MaxInFlight);
        Assert.Equal(1, TrainingRunSettings.From(new TrainSettings { Mode = mode, Staleness = staleness, MaxInFlight = 1, Updates = 10, Shards = 1, PushEncoding = ActorTrainer.Core.Compression.GradientEncoding.Fp32, LocalSteps = 1 }, spec).MaxInFlight);
    }

    [Theory]
    [InlineData(0L, 0, 0, 1, "maxUpdates")]
    [InlineData(10L, -1, 0, 1, "staleness")]
    [InlineData(10L, 0, -5, 1, "validateEvery")]
    [InlineData(10L, 0, 0, 0, "maxInFlight")]
    public void Invalid_values_are_refused_naming_the_setting_and_value(long updates, int staleness, int validateEvery, int inFlight, string name)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new TrainingRunSettings(ConsistencyMode.Sync, updates, "", staleness, validateEvery, maxInFlight: inFlight));
        Assert.Equal(name, ex.ParamName);
    }
}
