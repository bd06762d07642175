using System.Diagnostics;
using System.Globalization;

namespace ActorTrainer.Cli.Scaling;

/// <summary>
/// The sweep's progress on stderr: a line per configuration started and finished, and while one runs
/// a live line (updates, tokens/s, elapsed) — redrawn in place on a terminal, every few seconds when
/// redirected. Called from the coordinator's callbacks and the sweep's loop, never concurrently.
/// </summary>
public sealed class SweepProgress(TextWriter output, bool enabled)
{
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private readonly Stopwatch _sweep = Stopwatch.StartNew();
    private readonly Stopwatch _config = new();
    private double _lastDraw;
    private string _prefix = "";
    private long _maxUpdates;

    public void Begin(int index, int total, ScaleConfig config, long maxUpdates)
    {
        _prefix = $"[{index}/{total}] {config.Label}";
        _maxUpdates = maxUpdates;
        _lastDraw = 0;
        _config.Restart();
        if (enabled && !_interactive) output.WriteLine($"{_prefix}: started (at most {maxUpdates} updates; sweep at {_sweep.Elapsed.TotalSeconds:F0}s)");
    }

    public void OnUpdate(long update, long tokens)
    {
        double now = _config.Elapsed.TotalSeconds;
        if (!enabled || now - _lastDraw < (_interactive ? 0.25 : 5.0)) return;
        _lastDraw = now;
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{_prefix}: update {update}/{_maxUpdates} | {tokens / Math.Max(now, 1e-9) / 1000:F1}k tok/s | {now:F0}s (sweep {_sweep.Elapsed.TotalSeconds:F0}s)");
        if (_interactive) output.Write("\r" + line.PadRight(100));
        else output.WriteLine(line);
    }

    public void End(ConfigResult r)
    {
        if (!enabled) return;
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{_prefix}: {r.TokensPerSecond / 1000:F1}k tok/s, {r.Updates} updates in {r.WallSeconds:F1}s, val loss {r.FinalLoss:F3}, rejected {r.GradientsRejected}, staleness mean {r.StalenessMean:F2}");
        output.WriteLine(_interactive ? "\r" + line.PadRight(100) : line);
    }

    public void Note(string message)
    {
        if (enabled) output.WriteLine(message);
    }
}
