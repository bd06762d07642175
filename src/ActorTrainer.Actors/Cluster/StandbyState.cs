using System.Globalization;

namespace ActorTrainer.Actors.Cluster;

/// <summary>
/// What a run directory's lease file says about its parameter server: the epoch and Akka address of the
/// server that holds (or held) the lease, and — once it ended the run on purpose (finished, stopped,
/// failed) — why. A lease whose holder is gone without an <see cref="Ended"/> is a server that died.
/// One line of text: <c>epoch=2 address=akka.tcp://… ended=…</c> (ended last, to the end of the line).
/// </summary>
public sealed record LeaseRecord(long Epoch, string Address, string? Ended = null)
{
    public string Format() =>
        $"epoch={Epoch.ToString(CultureInfo.InvariantCulture)} address={Address}" + (Ended is null ? "" : $" ended={Ended.ReplaceLineEndings(" ")}");

    /// <summary>The record in <paramref name="text"/>, or null when it is empty or not one (a lease file
    /// whose writer died before its first line).</summary>
    public static LeaseRecord? Parse(string text)
    {
        string line = text.Trim();
        if (!line.StartsWith("epoch=", StringComparison.Ordinal)) return null;
        int address = line.IndexOf(" address=", StringComparison.Ordinal);
        if (address < 0 || !long.TryParse(line.AsSpan(6, address - 6), NumberStyles.None, CultureInfo.InvariantCulture, out long epoch)) return null;
        string rest = line[(address + 9)..];
        int ended = rest.IndexOf(" ended=", StringComparison.Ordinal);
        return ended < 0 ? new LeaseRecord(epoch, rest) : new LeaseRecord(epoch, rest[..ended], rest[(ended + 7)..]);
    }
}

/// <summary>What a standby found when it tried the run directory's lease: whether it got it (the holder's
/// process is gone: the lock is released by the kernel when a process dies), what the lease file says,
/// and the run's last checkpoint (update count and epoch; null = none yet) against the run's target.</summary>
public sealed record LeaseProbe(bool Acquired, LeaseRecord? Holder, long? CheckpointUpdates, long CheckpointEpoch, long TargetUpdates);

/// <summary>A standby's decision.</summary>
public abstract record StandbyDecision;

/// <summary>The active server holds the lease: keep waiting.</summary>
public sealed record KeepWaiting : StandbyDecision;

/// <summary>The run ended on purpose, or is complete: nothing to take over (exit 0).</summary>
public sealed record StandDown(string Reason) : StandbyDecision;

/// <summary>Become the active server as <paramref name="Epoch"/>, continuing from the last checkpoint
/// (<paramref name="FromUpdate"/>; 0 = the run's start, W from its seed), after downing the dead
/// server's cluster member <paramref name="Down"/> (null: unknown) so that Akka's split-brain resolver
/// never has to decide about it.</summary>
public sealed record TakeOver(long Epoch, long FromUpdate, string? Down) : StandbyDecision;

/// <summary>
/// The standby parameter server's rules, without files or Akka. Who is active: the process holding the
/// run directory's lease (an exclusive lock on one file), so two servers never both apply updates for
/// the run while they share its directory. A standby takes over only from a server that died without
/// a word: a lease file saying the run ended (finished, stopped by request, failed) makes it stand down.
/// The new server is a new epoch, newer than every epoch the run has had — the checkpoint's and the
/// dead holder's (which may have died before its first checkpoint) — so worker nodes that worked for the
/// dead one accept it and nodes never go back to an older one (<see cref="NodeAgentState"/>), and a
/// connection made for the old epoch is refused (<see cref="ClusterServerState"/>). It continues from the
/// last checkpoint: W, optimizer state, version, each slot's next chunk and h; the worker nodes compute
/// the chunks after it again (the dead server's later updates were never in a checkpoint).
/// </summary>
public sealed class StandbyState
{
    /// <summary>The decision once made (null while waiting); a standby decides once.</summary>
    public StandbyDecision? Decision { get; private set; }

    public StandbyDecision Handle(LeaseProbe probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        if (Decision is not null) throw new InvalidOperationException($"the standby already decided: {Decision}");
        if (!probe.Acquired) return new KeepWaiting();
        long last = Math.Max(probe.CheckpointEpoch, probe.Holder?.Epoch ?? 0);
        Decision = probe switch
        {
            { Holder.Ended: { } why } => new StandDown($"the active parameter server (epoch {probe.Holder.Epoch}) ended the run: {why}"),
            { CheckpointUpdates: { } done } when done >= probe.TargetUpdates => new StandDown($"the run is complete ({done} updates)"),
            _ => new TakeOver(last + 1, probe.CheckpointUpdates ?? 0, probe.Holder?.Address),
        };
        return Decision;
    }
}
