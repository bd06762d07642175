using ActorTrainer.Actors.ParameterServer;

namespace ActorTrainer.Cli.Training;

/// <summary>
/// The live progress line: updates, tokens/s, train and validation loss, gradient norm, clip rate,
/// staleness. On a terminal it redraws one line; redirected, it prints a line every few seconds.
/// Called from the coordinator's callbacks only (one thread at a time).
/// </summary>
public sealed class ProgressDisplay(TextWriter output, long totalUpdates, bool enabled)
{
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private double _lastDraw = double.NegativeInfinity;
    private long _tokens, _updates, _clipped;
    private double _lossEma = double.NaN, _normEma = double.NaN, _stalenessSum;
    private double _validation = double.NaN;

    public double Elapsed => _clock.Elapsed.TotalSeconds;

    public void OnUpdate(UpdateApplied u, long update)
    {
        _updates++;
        _tokens += u.Tokens;
        if (u.Clipped) _clipped++;
        _stalenessSum += u.Staleness;
        _lossEma = double.IsNaN(_lossEma) ? u.Loss : 0.95 * _lossEma + 0.05 * u.Loss;
        _normEma = double.IsNaN(_normEma) ? u.GradNorm : 0.95 * _normEma + 0.05 * u.GradNorm;
        double now = Elapsed;
        if (now - _lastDraw >= (_interactive ? 0.25 : 5.0) || update == totalUpdates) Draw(update, now);
    }

    public void OnValidation(double loss) => _validation = loss;

    public void Finish()
    {
        if (enabled && _interactive) output.WriteLine();
    }

    private void Draw(long update, double now)
    {
        _lastDraw = now;
        if (!enabled) return;
        string line = $"update {update}/{totalUpdates} | {_tokens / Math.Max(now, 1e-9) / 1000:F1}k tok/s | loss {_lossEma:F3} | val {(_validation is double v && !double.IsNaN(v) ? v.ToString("F3") : "-")} | |g| {_normEma:F2} clip {100.0 * _clipped / Math.Max(1, _updates):F0}% | stale {_stalenessSum / Math.Max(1, _updates):F2} | {now:F0}s";
        if (_interactive) output.Write("\r" + line.PadRight(110));
        else output.WriteLine(line);
    }
}
