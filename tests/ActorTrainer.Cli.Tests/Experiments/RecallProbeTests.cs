using ActorTrainer.Cli.Experiments;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Cli.Tests.Experiments;

public class RecallProbeTests
{
    /// <summary>
    /// A hand-built recaller for delay 1, identity φ, H = 2V: the first half of h holds 10·onehot(x_t) (through W_xh),
    /// the second half copies the first half of h_{t−1} (through W_hh), and W_hy reads the second half: y_t = 10·onehot(x_{t−1}).
    /// </summary>
    private static (ModelSpec Spec, float[] W) DelayOneRecaller(int alphabet)
    {
        int V = alphabet + 1, H = 2 * V;
        var spec = new ModelSpec(new ModelShape(V, H, V), Activation.Identity);
        var w = new float[spec.Shape.Count];
        var Wxh = spec.Shape.Wxh(w.AsSpan()); var Whh = spec.Shape.Whh(w.AsSpan()); var Why = spec.Shape.Why(w.AsSpan());
        for (int v = 0; v < V; v++)
        {
            Wxh[v * V + v] = 10;            // h[v] = 10·[x_t = v]
            Whh[(V + v) * H + v] = 1;       // h[V+v] = h_{t−1}[v]
            Why[v * H + V + v] = 1;         // y[v] = h[V+v]
        }
        return (spec, w);
    }

    [Fact]
    public void Hand_built_delay_one_recaller_scores_every_recall_position()
    {
        var (spec, w) = DelayOneRecaller(alphabet: 5);
        var score = RecallProbe.Score(spec, w, new DelayedRecallTask(alphabetSize: 5, delay: 1, streams: 3, seed: 11), steps: 40, chunkLength: 16);
        Assert.Equal(3 * 39, score.Counted);   // positions t ≥ L of every stream, across chunk boundaries (h carried)
        Assert.Equal(score.Counted, score.Correct);
    }

    [Fact]
    public void The_same_recaller_is_at_chance_for_delay_two()
    {
        var (spec, w) = DelayOneRecaller(alphabet: 5);
        var score = RecallProbe.Score(spec, w, new DelayedRecallTask(alphabetSize: 5, delay: 2, streams: 8, seed: 11), steps: 200);
        Assert.Equal(8 * 198, score.Counted);
        // it answers x_{t−1}, which equals x_{t−2} with probability 1/5
        Assert.InRange(score.Accuracy, 0.1, 0.3);
    }
}
