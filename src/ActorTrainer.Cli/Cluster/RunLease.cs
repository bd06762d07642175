using System.Text;
using ActorTrainer.Actors.Cluster;

namespace ActorTrainer.Cli.Cluster;

/// <summary>
/// A run directory's lease, <c>ps.lease</c>: the file held open with an exclusive lock (FileShare.None,
/// flock on Linux) by the run's active parameter server for as long as its process lives. The kernel
/// releases the lock when the process dies, however it dies, so a standby that gets the lease knows the
/// holder is gone. The file holds a <see cref="LeaseRecord"/>. Advisory and local: it arbitrates between
/// processes that share the directory on one machine (or a file system with working flock).
/// </summary>
public sealed class RunLease : IDisposable
{
    public const string FileName = "ps.lease";

    private readonly FileStream _file;

    private RunLease(FileStream file) => _file = file;

    public static string PathIn(string runDirectory) => Path.Combine(runDirectory, FileName);

    /// <summary>The lease of <paramref name="runDirectory"/>, or null while another process holds it.</summary>
    public static RunLease? TryAcquire(string runDirectory)
    {
        try { return new RunLease(new FileStream(PathIn(runDirectory), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)); }
        catch (IOException) { return null; } // locked by the holder (UnauthorizedAccessException, a real problem, propagates)
    }

    /// <summary>What the previous holder wrote (null: nothing readable).</summary>
    public LeaseRecord? Read()
    {
        _file.Position = 0;
        var bytes = new byte[_file.Length];
        _file.ReadExactly(bytes);
        return LeaseRecord.Parse(Encoding.UTF8.GetString(bytes));
    }

    /// <summary>Replaces the record and flushes it to disk: a standby reads it once this process is gone.</summary>
    public void Write(LeaseRecord record)
    {
        var bytes = Encoding.UTF8.GetBytes(record.Format() + "\n");
        _file.Position = 0;
        _file.SetLength(0);
        _file.Write(bytes);
        _file.Flush(flushToDisk: true);
    }

    public void Dispose() => _file.Dispose();
}
