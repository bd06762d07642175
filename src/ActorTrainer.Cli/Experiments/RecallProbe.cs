using System.Numerics.Tensors;
using ActorTrainer.Core.Data;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Cli.Experiments;

/// <summary>
/// Recall accuracy of a model on held-out delayed-recall data: runs the model forward (h carried from chunk to
/// chunk, starting at 0) over a fresh task's streams and scores the argmax of y_t against the input of step t − L.
///   h_t = φ(Wxh[:, x_t] + Whh h_{t−1} + Bh),   y_t = Why h_t + By.
/// </summary>
internal static class RecallProbe
{
    public static RecallScore Score(ModelSpec spec, ReadOnlySpan<float> w, DelayedRecallTask task, int steps, int chunkLength = 64)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(task);
        var s = spec.Shape;
        int B = task.Streams, H = s.H, V = s.V, O = s.O;
        if (V != task.TokenCount || O != task.TokenCount)
            throw new ArgumentException($"model has V={V}, O={O} but the task has {task.TokenCount} tokens", nameof(spec));
        ReadOnlySpan<float> Wxh = s.Wxh(w), Whh = s.Whh(w), Bh = s.Bh(w), Why = s.Why(w), By = s.By(w);
        var chunk = Chunk.ForTokens(B, chunkLength);
        var h = new float[B * H];                      // (B×H)
        var a = new float[H];                          // (H)
        var logits = new float[chunkLength * B * O];   // (T×B×O)
        var score = new RecallScore(0, 0);
        for (int done = 0; done < steps; done += chunk.T)
        {
            chunk.T = Math.Min(chunkLength, steps - done);
            task.Fill(chunk);
            for (int t = 0; t < chunk.T; t++)
                for (int b = 0; b < B; b++)
                {
                    Span<float> hb = h.AsSpan(b * H, H);
                    int x = chunk.InputTokens![t * B + b];
                    // a = Wxh x + Whh h + Bh (one-hot x: column gather)
                    for (int i = 0; i < H; i++) a[i] = Wxh[i * V + x] + Bh[i] + TensorPrimitives.Dot(Whh.Slice(i * H, H), hb);
                    switch (spec.Phi)
                    {
                        case Activation.Tanh: TensorPrimitives.Tanh(a, hb); break;
                        case Activation.Relu: TensorPrimitives.Max(a, 0f, hb); break;
                        default: a.CopyTo(hb); break;
                    }
                    Span<float> y = logits.AsSpan((t * B + b) * O, O);
                    for (int o = 0; o < O; o++) y[o] = By[o] + TensorPrimitives.Dot(Why.Slice(o * H, H), hb);
                }
            score += task.Score(logits.AsSpan(0, chunk.T * B * O), chunk);
        }
        return score;
    }
}
