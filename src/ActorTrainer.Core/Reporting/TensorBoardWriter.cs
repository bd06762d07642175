namespace ActorTrainer.Core.Reporting;

/// <summary>
/// A TensorBoard event file, <c>events.out.tfevents.&lt;unix seconds&gt;.&lt;host&gt;</c> in a directory:
/// TFRecord-framed <see cref="TensorBoardEvent"/>s, the first one the file version. Each event is
/// flushed as it is written, so `tensorboard --logdir` follows a run live and a crash loses at most
/// the event being written. An existing file is never overwritten (a suffix .1, .2, … is added).
/// Not thread-safe.
/// </summary>
public sealed class TensorBoardWriter : IDisposable
{
    public const string FilePrefix = "events.out.tfevents.";

    private readonly FileStream _stream;
    private readonly TimeProvider _clock;

    /// <summary>Full path of the event file.</summary>
    public string Path { get; }

    /// <summary>Creates the event file in directory (which must exist); wall times come from clock (default: the system's).</summary>
    public TensorBoardWriter(string directory, TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _clock = clock ?? TimeProvider.System;
        string name = FilePrefix + _clock.GetUtcNow().ToUnixTimeSeconds() + "." + Host();
        string path = System.IO.Path.GetFullPath(System.IO.Path.Combine(directory, name));
        for (int n = 1; ; n++)
        {
            try
            {
                _stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
                break;
            }
            catch (IOException) when (File.Exists(path) && n < 1000)
            {
                path = System.IO.Path.GetFullPath(System.IO.Path.Combine(directory, $"{name}.{n}"));
            }
        }
        Path = path;
        Append(TensorBoardEvent.FileVersionEvent(WallTime()));
    }

    /// <summary>Scalars (tag, value) at a step, as one event.</summary>
    public void AddScalars(long step, IReadOnlyList<(string Tag, float Value)> scalars) =>
        Append(TensorBoardEvent.ScalarsEvent(WallTime(), step, scalars));

    /// <summary>A histogram at a step.</summary>
    public void AddHistogram(string tag, long step, TensorBoardEvent.Histogram histogram) =>
        Append(TensorBoardEvent.HistogramEvent(WallTime(), step, tag, histogram));

    public void Dispose() => _stream.Dispose();

    private void Append(byte[] evt)
    {
        TensorBoardRecord.Write(_stream, evt);
        _stream.Flush();
    }

    private double WallTime() => _clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>The machine name with anything but letters, digits, '-' and '_' replaced, for a file name.</summary>
    private static string Host()
    {
        string host = Environment.MachineName;
        var chars = host.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray();
        return chars.Length == 0 ? "localhost" : new string(chars);
    }
}
