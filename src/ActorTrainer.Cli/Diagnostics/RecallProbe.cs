using ActorTrainer.Core.Data;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Cli.Diagnostics;

/// <summary>
/// Recall accuracy of a model on fresh episodes of a <see cref="DelayedRecallTask"/>: a plain reference forward
/// (h_t = φ(W_xh x_t + W_hh h_{t−1} + b_h), y_t = W_hy h_t + b_y, from h = 0) and argmax scoring of the positions
/// t ≥ L. Slow and obviously correct; the experiments only call it on small models.
/// </summary>
internal static class RecallProbe
{
    /// <summary>Accuracy over episodes episodes of length steps, each a new task stream seeded seed + e.</summary>
    public static RecallScore Score(ModelSpec spec, ReadOnlySpan<float> w, int alphabet, int delay, int streams,
        int steps, int episodes, int seed)
    {
        var shape = spec.Shape;
        int V = shape.V, H = shape.H, O = shape.O, B = streams;
        var Wxh = shape.Wxh(w); var Whh = shape.Whh(w); var Bh = shape.Bh(w); var Why = shape.Why(w); var By = shape.By(w);
        var chunk = Chunk.ForTokens(B, steps);
        chunk.T = steps;
        var logits = new float[steps * B * O];   // (T×B×O)
        var h = new float[B * H];                // (B×H) h_{t−1}
        var a = new float[H];                    // (H) pre-activation
        var total = new RecallScore(0, 0);
        for (int e = 0; e < episodes; e++)
        {
            var task = new DelayedRecallTask(alphabet, delay, B, seed + e);
            task.Fill(chunk);
            Array.Clear(h);
            for (int t = 0; t < steps; t++)
                for (int b = 0; b < B; b++)
                {
                    var hb = h.AsSpan(b * H, H);
                    int x = chunk.InputTokens![t * B + b];
                    for (int i = 0; i < H; i++)
                    {
                        double s = Wxh[i * V + x] + Bh[i];            // W_xh onehot(x) + b_h
                        for (int j = 0; j < H; j++) s += Whh[i * H + j] * hb[j];
                        a[i] = (float)s;
                    }
                    for (int i = 0; i < H; i++) hb[i] = Phi(spec.Phi, a[i]);
                    var y = logits.AsSpan((t * B + b) * O, O);         // y = W_hy h + b_y
                    for (int o = 0; o < O; o++)
                    {
                        double s = By[o];
                        for (int j = 0; j < H; j++) s += Why[o * H + j] * hb[j];
                        y[o] = (float)s;
                    }
                }
            total += task.Score(logits, chunk);
        }
        return total;
    }

    private static float Phi(Activation phi, float a) => phi switch
    {
        Activation.Tanh => MathF.Tanh(a),
        Activation.Identity => a,
        Activation.Relu => MathF.Max(0, a),
        _ => throw new ArgumentOutOfRangeException(nameof(phi), phi, "unknown activation"),
    };
}
