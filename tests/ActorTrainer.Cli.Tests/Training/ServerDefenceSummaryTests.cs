using System.Numerics.Tensors;
using ActorTrainer.Actors.Coordinator;
using ActorTrainer.Actors.ParameterServer;
using ActorTrainer.Cli.Training;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Training;

namespace ActorTrainer.Cli.Tests.Training;

/// <summary>A gradient of norm 1e30 pushed at the server: W and the optimizer state stay finite, and the
/// refusal shows in the server.json the ps node writes.</summary>
public sealed class ServerDefenceSummaryTests
{
    private static readonly ModelFingerprint Fp = new(3, "test");

    private static TrainingResult RunWith(float? clipNorm, out ParameterServerState server, out OptimizerUpdateRule rule)
    {
        rule = new OptimizerUpdateRule(new Adam(0.002f));
        server = new ParameterServerState(new ServerSettings(ConsistencyMode.Async, Fp, maxUpdates: 10) { ClipNorm = clipNorm }, [0.1f, 0.2f, 0.3f], rule);
        server.Handle(new RegisterWorker(0, Fp));
        server.Handle(new PushGradient(0, 0, 0, [0.5f, -0.5f, 0.1f], 1f, 0.7, false, 8));
        server.Handle(new PushGradient(0, 1, 1, [1e30f, -1e30f, 0f], 123.456f, 1e30, false, 8));
        server.Handle(new PushGradient(0, 1, 2, [0.5f, -0.5f, 0.1f], 1f, 0.7, false, 8));
        return new TrainingResult(server.Weights.ToArray(), server.Version, CompletionReason.Stopped, "", server.Stats(), []);
    }

    [Theory]
    [InlineData(5f, "AboveClipNorm")]     // the run clips at 5: the server refuses what the worker should have clipped
    [InlineData(null, "NonFiniteUpdate")] // no clipping: Adam's (1−β2)·g² = 1e57 would overflow v, so the update is refused
    public void A_pushed_gradient_of_norm_1e30_leaves_W_and_the_optimizer_state_finite_and_is_counted_in_server_json(float? clipNorm, string reason)
    {
        var result = RunWith(clipNorm, out var server, out var rule);

        Assert.True(TensorPrimitives.IsFiniteAll(server.Weights));
        Assert.True(rule.State!.IsFinite());
        Assert.Equal(2, server.Updates); // the sane gradients before and after were applied
        var json = ServerSummary.Parse(ServerSummary.From(result, null, 0).ToJson());
        Assert.Equal(1, json.Rejections[reason]);
        Assert.Equal(1, json.RejectionsTotal);
    }
}
