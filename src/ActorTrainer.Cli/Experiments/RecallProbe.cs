using ActorTrainer.Core.Data;
using ActorTrainer.Core.Rnn;
using ActorTrainer.Core.Truncation;

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
        var engine = new BpttEngine(spec, new TruncationScheme.Full(), B, chunkLength);   // forward only
        var chunk = Chunk.ForTokens(B, chunkLength);
        var h = new float[B * H];                      // (B×H)
        var logits = new float[chunkLength * B * O];   // (T×B×O)
        var score = new RecallScore(0, 0);
        for (int done = 0; done < steps; done += chunk.T)
        {
            chunk.T = Math.Min(chunkLength, steps - done);
            task.Fill(chunk);
            engine.ForwardOutputs(w, chunk, h, logits);
            score += task.Score(logits.AsSpan(0, chunk.T * B * O), chunk);
        }
        return score;
    }
}
