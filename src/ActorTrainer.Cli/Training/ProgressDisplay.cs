using System.Globalization;
using ActorTrainer.Actors.ParameterServer;

namespace ActorTrainer.Cli.Training;

/// <summary>
/// The live progress line: updates and % done, tokens/s, train and validation loss, gradient norm, clip
/// rate, staleness, elapsed time and an ETA. On a terminal it redraws one line; redirected, it prints a
/// line every few seconds. <see cref="Finish"/> draws the last line with the final values (the final
/// validation included). Called from the coordinator's callbacks only (one thread at a time).
/// </summary>
public sealed class ProgressDisplay
{
    private readonly TextWriter _output;
    private readonly long _totalUpdates;
    private readonly bool _enabled;
    private readonly bool _interactive;
    private readonly Func<double> _seconds;
    private double _lastDraw = double.NegativeInfinity;
    private long _tokens, _updates, _clipped, _lastUpdate = -1, _firstUpdate = -1;
    private double _lossEma = double.NaN, _normEma = double.NaN, _stalenessSum;
    private double _validation = double.NaN;

    /// <param name="seconds">Seconds since the run started (injected in tests); null = a stopwatch started now.</param>
    /// <param name="interactive">Redraw one line in place; null = when stderr is a terminal.</param>
    public ProgressDisplay(TextWriter output, long totalUpdates, bool enabled, Func<double>? seconds = null, bool? interactive = null)
    {
        _output = output;
        _totalUpdates = totalUpdates;
        _enabled = enabled;
        _interactive = interactive ?? !Console.IsErrorRedirected;
        if (seconds is null)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            seconds = () => clock.Elapsed.TotalSeconds;
        }
        _seconds = seconds;
    }

    public double Elapsed => _seconds();

    public void OnUpdate(UpdateApplied u, long update)
    {
        if (_firstUpdate < 0) _firstUpdate = update - 1; // a resumed run starts past 0
        _lastUpdate = update;
        _updates++;
        _tokens += u.Tokens;
        if (u.Clipped) _clipped++;
        _stalenessSum += u.Staleness;
        _lossEma = double.IsNaN(_lossEma) ? u.Loss : 0.95 * _lossEma + 0.05 * u.Loss;
        _normEma = double.IsNaN(_normEma) ? u.GradNorm : 0.95 * _normEma + 0.05 * u.GradNorm;
        double now = Elapsed;
        if (now - _lastDraw >= (_interactive ? 0.25 : 5.0)) Draw(now, final: false);
    }

    public void OnValidation(double loss) => _validation = loss;

    /// <summary>Draws the last line, with the values as they are now (after the final validation).</summary>
    public void Finish()
    {
        if (_lastUpdate >= 0) Draw(Elapsed, final: true);
        if (_enabled && _interactive && _lastUpdate >= 0) _output.WriteLine();
    }

    private void Draw(double now, bool final)
    {
        _lastDraw = now;
        if (!_enabled) return;
        string line = Line(now, final);
        if (_interactive) _output.Write("\r" + line.PadRight(120));
        else _output.WriteLine(line);
    }

    private string Line(double now, bool final)
    {
        double done = _totalUpdates > 0 ? Math.Min(1.0, (double)_lastUpdate / _totalUpdates) : 1.0;
        string val = double.IsNaN(_validation) ? "-" : F("F3", _validation);
        string line = $"update {_lastUpdate}/{_totalUpdates} ({F("F0", 100 * done)}%) | {F("F1", _tokens / Math.Max(now, 1e-9) / 1000)}k tok/s | " +
                      $"loss {F("F3", _lossEma)} | val {val} | |g| {F("F2", _normEma)} clip {F("F0", 100.0 * _clipped / Math.Max(1, _updates))}% | " +
                      $"stale {F("F2", _stalenessSum / Math.Max(1, _updates))} | {Duration(now)}";
        return final || _lastUpdate >= _totalUpdates ? line : line + $" | ETA {Eta(now)}";
    }

    /// <summary>Time left at the rate of this display's updates so far.</summary>
    private string Eta(double now)
    {
        long doneHere = _lastUpdate - _firstUpdate;
        if (doneHere <= 0 || now <= 0) return "-";
        return Duration((_totalUpdates - _lastUpdate) * now / doneHere);
    }

    /// <summary>"42s", "6m40s", "2h05m".</summary>
    internal static string Duration(double seconds)
    {
        long s = (long)Math.Round(Math.Max(0, seconds));
        return s < 60 ? $"{s}s" : s < 3600 ? $"{s / 60}m{s % 60:D2}s" : $"{s / 3600}h{s / 60 % 60:D2}m";
    }

    private static string F(string format, double x) => x.ToString(format, CultureInfo.InvariantCulture);
}
