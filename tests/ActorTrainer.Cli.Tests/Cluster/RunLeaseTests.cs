using ActorTrainer.Actors.Cluster;
using ActorTrainer.Cli.Cluster;

namespace ActorTrainer.Cli.Tests.Cluster;

/// <summary>The run directory's lease: one holder at a time, released when the holder lets go (a dead
/// process's lock is released by the kernel the same way), its record read back by the next holder.</summary>
public sealed class RunLeaseTests : IDisposable
{
    private readonly string _dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"at-lease-{Guid.NewGuid():N}")).FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public void Only_one_holder_at_a_time_and_the_next_one_reads_what_the_last_wrote()
    {
        using (var active = RunLease.TryAcquire(_dir))
        {
            Assert.NotNull(active);
            active.Write(new LeaseRecord(1, "akka.tcp://actortrainer@127.0.0.1:4053", "a long reason that the next record is shorter than"));
            Assert.Null(RunLease.TryAcquire(_dir)); // a standby waits while the holder lives
            active.Write(new LeaseRecord(2, "akka.tcp://actortrainer@127.0.0.1:4053"));
        }

        using var next = RunLease.TryAcquire(_dir);
        Assert.NotNull(next);
        Assert.Equal(new LeaseRecord(2, "akka.tcp://actortrainer@127.0.0.1:4053"), next.Read()); // the shorter record replaced the longer one whole
    }

    [Fact]
    public void A_new_lease_file_has_no_record()
    {
        using var lease = RunLease.TryAcquire(_dir);
        Assert.Null(lease!.Read());
    }
}
