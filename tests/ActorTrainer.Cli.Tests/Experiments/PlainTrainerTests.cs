using ActorTrainer.Cli.Experiments;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Optim;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Truncation;

namespace ActorTrainer.Cli.Tests.Experiments;

public class PlainTrainerTests
{
    private static (ModelSpec Spec, float[] W, Chunk Chunk) Setup()
    {
        var task = new DelayedRecallTask(alphabetSize: 4, delay: 2, streams: 3, seed: 7);
        var spec = new ModelSpec(new ModelShape(task.TokenCount, 6, task.TokenCount), Activation.Tanh);
        var chunk = Chunk.ForTokens(3, 5);
        chunk.T = 5;
        task.Fill(chunk);
        return (spec, Initializer.Create(spec.Shape, 3), chunk);
    }

    [Fact]
    public void Clipped_sgd_update_moves_W_by_exactly_lr_times_c()
    {
        var (spec, w, chunk) = Setup();
        var before = (float[])w.Clone();
        var trainer = new PlainTrainer(spec, w, new TruncationScheme.Full(), 3, 5, Optimizers.Create("sgd", 0.5f), clipNorm: 1e-3f);
        var r = trainer.Step(chunk);
        Assert.True(r.Applied);
        Assert.True(r.Clipped, $"pre-clip norm {r.GradNorm} should exceed c = 1e-3");
        double step = Math.Sqrt(w.Zip(before).Sum(p => (double)(p.First - p.Second) * (p.First - p.Second)));
        Assert.Equal(0.5 * 1e-3, step, 1e-6);
    }

    [Fact]
    public void Non_finite_gradient_is_reported_and_never_applied()
    {
        var (spec, w, chunk) = Setup();
        spec.Shape.Why(w.AsSpan())[0] = float.NaN;
        var before = (float[])w.Clone();
        var trainer = new PlainTrainer(spec, w, new TruncationScheme.Full(), 3, 5, Optimizers.Create("sgd", 0.5f), clipNorm: null);
        var r = trainer.Step(chunk);
        Assert.False(r.Applied);
        Assert.False(double.IsFinite(r.GradNorm));
        Assert.Equal(before, w);   // bit-identical, NaN included
    }
}
