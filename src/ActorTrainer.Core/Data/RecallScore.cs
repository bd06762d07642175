namespace ActorTrainer.Core.Data;

/// <summary>Correct predictions out of counted positions; add scores to aggregate over chunks.</summary>
public readonly record struct RecallScore(long Correct, long Counted)
{
    /// <summary>Correct / Counted; NaN when nothing was counted.</summary>
    public double Accuracy => Counted == 0 ? double.NaN : (double)Correct / Counted;

    public static RecallScore operator +(RecallScore a, RecallScore b) => new(a.Correct + b.Correct, a.Counted + b.Counted);
}
