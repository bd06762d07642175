namespace ActorTrainer.Cli.Reporting;

/// <summary>How an axis places and labels its ticks (see <see cref="TickRules"/>).</summary>
public enum AxisScale
{
    /// <summary>Real values: 1-2-5 steps, every label with the same number of decimals, never exponents.</summary>
    Linear,
    /// <summary>Counts (workers, lag, staleness, updates): ticks only at integers, labels without decimals.</summary>
    Integer,
    /// <summary>Data spanning decades: drawn as log10(value), labelled with the values at decades.</summary>
    Log10,
}
