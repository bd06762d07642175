using ActorTrainer.Core.Data;
using ActorTrainer.Core.Rnn;

namespace ActorTrainer.Core.Tests.Data;

public class DelayedRecallTaskTests
{
    /// <summary>Runs the task for chunks of T steps and returns per-stream input and target sequences.</summary>
    private static (List<int>[] X, List<int>[] Y) Generate(DelayedRecallTask task, int chunks, int T)
    {
        int B = task.Streams;
        var xs = Enumerable.Range(0, B).Select(_ => new List<int>()).ToArray();
        var ys = Enumerable.Range(0, B).Select(_ => new List<int>()).ToArray();
        var chunk = Chunk.ForTokens(B, T);
        for (int c = 0; c < chunks; c++)
        {
            task.Fill(chunk);
            for (int t = 0; t < T; t++)
                for (int b = 0; b < B; b++)
                {
                    xs[b].Add(chunk.InputTokens![t * B + b]);
                    ys[b].Add(chunk.TargetTokens![t * B + b]);
                }
        }
        return (xs, ys);
    }

    [Theory]
    [InlineData(10, 7)]  // delay longer than a chunk: dependencies cross chunk boundaries
    [InlineData(3, 8)]
    [InlineData(1, 1)]
    [InlineData(0, 5)]
    public void Target_is_the_input_delay_steps_earlier_and_blank_before(int delay, int T)
    {
        var task = new DelayedRecallTask(alphabetSize: 4, delay: delay, streams: 3, seed: 11);
        var (xs, ys) = Generate(task, chunks: 6, T);
        Assert.Equal(6L * T, task.Step);
        for (int b = 0; b < 3; b++)
            for (int t = 0; t < xs[b].Count; t++)
            {
                Assert.InRange(xs[b][t], 0, 3);
                Assert.Equal(t < delay ? task.Blank : xs[b][t - delay], ys[b][t]);
            }
    }

    [Fact]
    public void Same_seed_gives_same_data_and_streams_differ()
    {
        var (a, _) = Generate(new DelayedRecallTask(5, 4, 2, seed: 1), 3, 10);
        var (b, _) = Generate(new DelayedRecallTask(5, 4, 2, seed: 1), 3, 10);
        var (c, _) = Generate(new DelayedRecallTask(5, 4, 2, seed: 2), 3, 10);
        Assert.Equal(a[0], b[0]);
        Assert.Equal(a[1], b[1]);
        Assert.NotEqual(a[0], c[0]);
        Assert.NotEqual(a[0], a[1]);
    }

    [Fact]
    public void Reset_replays_the_sequence_from_step_zero()
    {
        var task = new DelayedRecallTask(5, 4, 2, seed: 9);
        var (x1, y1) = Generate(task, 2, 10);
        task.Reset();
        Assert.Equal(0, task.Step);
        var (x2, y2) = Generate(task, 2, 10);
        Assert.Equal(x1[1], x2[1]);
        Assert.Equal(y1[1], y2[1]);
    }

    [Fact]
    public void All_symbols_appear_as_inputs()
    {
        var (xs, _) = Generate(new DelayedRecallTask(6, 2, 1, seed: 5), 10, 20);
        Assert.Equal(Enumerable.Range(0, 6), xs[0].Distinct().Order());
    }

    [Fact]
    public void Accuracy_counts_only_recall_positions()
    {
        const int B = 2, T = 6, O = 4; // A = 3
        var task = new DelayedRecallTask(3, delay: 4, streams: B, seed: 3);
        var chunk = Chunk.ForTokens(B, T);
        task.Fill(chunk); // steps 0..5: t = 4, 5 are recall positions → 2 per stream, 4 in all
        var logits = new float[T * B * O];
        for (int i = 0; i < T * B; i++) logits[i * O + chunk.TargetTokens![i]] = 1f; // perfect
        var perfect = task.Score(logits, chunk);
        Assert.Equal(new RecallScore(4, 4), perfect);
        Assert.Equal(1.0, perfect.Accuracy);

        // Make the prediction at step 5, stream 1 wrong.
        int j = 5 * B + 1;
        logits.AsSpan(j * O, O).Clear();
        logits[j * O + (chunk.TargetTokens![j] + 1) % O] = 1f;
        var score = task.Score(logits, chunk);
        Assert.Equal(new RecallScore(3, 4), score);
        Assert.Equal(0.75, score.Accuracy);
        Assert.Equal(new RecallScore(7, 8), perfect + score);
    }

    [Fact]
    public void Accuracy_with_nothing_counted_is_nan()
    {
        var task = new DelayedRecallTask(3, delay: 10, streams: 1, seed: 3);
        var chunk = Chunk.ForTokens(1, 5);
        task.Fill(chunk);
        Assert.True(double.IsNaN(task.Score(new float[5 * 4], chunk).Accuracy));
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DelayedRecallTask(1, 3, 2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DelayedRecallTask(3, -1, 2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DelayedRecallTask(3, 3, 0, 0));
        var task = new DelayedRecallTask(3, 3, 2, 0);
        Assert.Throws<ArgumentException>(() => task.Fill(Chunk.ForTokens(3, 4)));
        var chunk = Chunk.ForTokens(2, 4);
        task.Fill(chunk);
        Assert.Throws<ArgumentException>(() => task.Score(new float[3], chunk));
    }
}
